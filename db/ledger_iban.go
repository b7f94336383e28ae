package db

import "strings"

// NormalizeIBAN returns an IBAN as banks store it: upper case, without the
// spaces people type in groups of four.
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ValidIBAN checks an IBAN's shape (country letters, check digits, account
// letters and digits) and its mod-97 check digits, which catch a mistyped
// digit and most swaps. Spaces and case do not matter.
func ValidIBAN(s string) bool {
	s = NormalizeIBAN(s)
	if len(s) < 15 || len(s) > 34 || !isUpperLetters(s[:2]) || !isDigitsOnly(s[2:4]) {
		return false
	}
	rem := 0
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			rem = (rem*10 + int(r-'0')) % 97
		case r >= 'A' && r <= 'Z':
			rem = (rem*100 + int(r-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}

func isUpperLetters(s string) bool { return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" }
func isDigitsOnly(s string) bool   { return strings.Trim(s, "0123456789") == "" }
