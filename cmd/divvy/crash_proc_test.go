package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// divvyProcess is the real divvy binary serving on a fixed port, so that
// it can be killed and started again at the same address (the browsers'
// cookies stay valid: sessions live in the database).
type divvyProcess struct {
	t    *testing.T
	bin  string
	base string
	env  []string
	log  string // every start appends its output here
	cmd  *exec.Cmd
	done chan error
}

// buildDivvy compiles this package into a temporary directory: the crash
// loop kills a process, not a goroutine.
func buildDivvy(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "divvy")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/divvy: %v\n%s", err, out)
	}
	return bin
}

// newDivvyProcess prepares the binary's environment: only what it is
// given here, so nothing from the test's own environment (DIVVY_ENV, a
// DATABASE_URL) changes what runs.
func newDivvyProcess(t *testing.T, bin string, vars map[string]string) *divvyProcess {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	vars["PORT"], vars["BASE_URL"] = fmt.Sprint(port), base
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	p := &divvyProcess{t: t, bin: bin, base: base, env: env, log: filepath.Join(t.TempDir(), "divvy.log")}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("the server's errors and warnings:\n%s", p.logMatching(`"level":"ERROR"`, `"level":"WARN"`, `"status":5`))
		}
	})
	return p
}

// start runs `divvy serve` and waits until it answers /readyz.
func (p *divvyProcess) start() {
	p.t.Helper()
	logFile, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(p.bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, logFile, logFile
	// The server must not outlive the test, even a test killed itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); logFile.Close() }()
	p.cmd, p.done = cmd, done
	waitReady(p.t, p.base)
}

// kill sends SIGKILL: no deferred function, no shutdown, no last write.
func (p *divvyProcess) kill() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

// stop shuts the server down the way an operator does (SIGTERM).
func (p *divvyProcess) stop() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(25 * time.Second):
		p.t.Errorf("divvy did not stop 25 s after SIGTERM")
		p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// command runs another divvy command (audit, migrate) with the server's
// environment and returns its output.
func (p *divvyProcess) command(name string) (string, error) {
	cmd := exec.Command(p.bin, name)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// logLines counts the lines of the server's output that contain s.
func (p *divvyProcess) logLines(s string) int {
	b, _ := os.ReadFile(p.log)
	return bytes.Count(b, []byte(s))
}

// logErrors sums up the server's ERROR lines: how many of each message
// and error.
func (p *divvyProcess) logErrors() map[string]int {
	b, _ := os.ReadFile(p.log)
	out := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		var e struct{ Level, Msg, Err string }
		if json.Unmarshal([]byte(line), &e) == nil && e.Level == "ERROR" {
			out[e.Msg+": "+e.Err]++
		}
	}
	return out
}

// logMatching returns the server's last 40 lines that contain any of these.
func (p *divvyProcess) logMatching(any ...string) string {
	b, _ := os.ReadFile(p.log)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		for _, s := range any {
			if strings.Contains(line, s) {
				out = append(out, line)
				break
			}
		}
	}
	if len(out) > 40 {
		out = out[len(out)-40:]
	}
	return strings.Join(out, "\n")
}

// webClient is one person's browser: a cookie jar, and redirects handed
// back rather than followed, since a form post is judged by its 303.
type webClient struct {
	base string
	hc   *http.Client
}

func newWebClient(base string) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{base: base, hc: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is what the server said; err is set when it said nothing (the
// connection broke: the process died).
type answer struct {
	status     int
	location   string
	retryAfter string
	body       string
	err        error
}

func (c *webClient) get(path string) answer { return c.send(http.MethodGet, path, nil) }

// post sends a form the way a browser on the site's own pages does.
func (c *webClient) post(path string, form url.Values) answer {
	return c.send(http.MethodPost, path, form)
}

func (c *webClient) send(method, path string, form url.Values) answer {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return answer{err: err}
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{err: err}
	}
	return answer{status: res.StatusCode, location: res.Header.Get("Location"), retryAfter: res.Header.Get("Retry-After"), body: string(b)}
}
