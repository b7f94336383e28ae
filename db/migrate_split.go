package db

import "strings"

// statements splits a migration into the statements it holds, at the
// semicolons outside quoted strings, quoted names, dollar-quoted bodies
// and comments (as psql does), dropping what holds nothing but white space
// and comments. A migration is applied one statement at a time, in one
// transaction: Citus sends the text of some commands on to its nodes as it
// was received (CREATE INDEX on a distributed or local table), and a text
// of several commands is refused there ("cannot insert multiple commands
// into a prepared statement", citusdata/citus#6608).
func statements(sql string) []string {
	var out []string
	start := 0    // where the current statement begins
	code := false // the current statement has more than space and comments
	identChar := func(i int) bool {
		if i < 0 {
			return false
		}
		c := sql[i]
		return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= 0x80
	}
	flush := func(end int) {
		if s := strings.TrimSpace(sql[start:end]); code && s != "" {
			out = append(out, s)
		}
		start, code = end+1, false
	}
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			if n := strings.IndexByte(sql[i:], '\n'); n >= 0 {
				i += n
			} else {
				i = len(sql)
			}
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			// Block comments nest in PostgreSQL.
			depth := 0
			for ; i < len(sql); i++ {
				if strings.HasPrefix(sql[i:], "/*") {
					depth++
					i++
				} else if strings.HasPrefix(sql[i:], "*/") {
					depth--
					i++
					if depth == 0 {
						break
					}
				}
			}
		case c == '\'':
			code = true
			// E'...' takes backslash escapes; '' is a quote in any string.
			escapes := i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && !identChar(i-2)
			for i++; i < len(sql); i++ {
				if escapes && sql[i] == '\\' {
					i++
				} else if sql[i] == '\'' {
					if i+1 < len(sql) && sql[i+1] == '\'' {
						i++
					} else {
						break
					}
				}
			}
		case c == '"':
			code = true
			for i++; i < len(sql); i++ {
				if sql[i] == '"' {
					if i+1 < len(sql) && sql[i+1] == '"' {
						i++
					} else {
						break
					}
				}
			}
		case c == '$' && !identChar(i-1):
			code = true
			// $tag$ ... $tag$, the tag empty or a name (not $1, a parameter).
			j := i + 1
			for j < len(sql) && sql[j] != '$' && identChar(j) && !(j == i+1 && sql[j] >= '0' && sql[j] <= '9') {
				j++
			}
			if j < len(sql) && sql[j] == '$' {
				tag := sql[i : j+1]
				if n := strings.Index(sql[j+1:], tag); n >= 0 {
					i = j + 1 + n + len(tag) - 1
				} else {
					i = len(sql)
				}
			}
		case c == ';':
			flush(i)
		case c != ' ' && c != '\t' && c != '\n' && c != '\r':
			code = true
		}
	}
	if start < len(sql) {
		flush(len(sql))
	}
	return out
}
