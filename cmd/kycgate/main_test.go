package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/provider/registry"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
	"github.com/kycgate/kycgate/internal/store/sqlite"
)

// TestRun_ExitCodes: usage and configuration errors exit 2 with a message
// that names the problem; a runtime failure exits 1.
func TestRun_ExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"version", []string{"version"}, 0, "kycgate dev"},
		{"--version", []string{"--version"}, 0, "kycgate dev (commit "},
		{"unknown command", []string{"serv"}, 2, `unknown command "serv"`},
		{"unknown flag", []string{"serve", "--bogus"}, 2, "unknown flag: --bogus"},
		{"missing config file", []string{"serve", "--config", filepath.Join(dir, "nope.yaml")}, 2, "nope.yaml"},
		{"unknown provider", []string{"serve", "--config", write("p.yaml", "sources:\n  - {name: a, provider: no-such-provider, insecure: true}\n")}, 2, "sources[0] (a).provider: unknown provider"},
		{"missing secret", []string{"serve", "--config", write("s.yaml", "sources:\n  - {name: a, provider: sumsub}\n")}, 2, "sources[0] (a).secrets"},
		{"accepts anyone", []string{"serve", "--config", write("i.yaml", "sources:\n  - {name: a, provider: idwise}\n")}, 2, "would accept anyone"},
		{"unset variable", []string{"serve", "--config", write("v.yaml", "api_tokens: [\"${KYCGATE_TEST_UNSET}\"]\n")}, 2, "api_tokens[0]: environment variable KYCGATE_TEST_UNSET is not set"},
		{"config check valid", []string{"config", "check", "--config", write("c.yaml", "api_tokens: [\"tok-secret-1\"]\nsources:\n  - {name: a, provider: sumsub, secrets: [\"sumsub-secret-9\"]}\n")}, 0, "is valid: 1 source(s)"},
		{"config check invalid", []string{"config", "check", "--config", write("bad.yaml", "sources:\n  - {name: a, provider: sumsub}\n")}, 2, "sources[0] (a).secrets"},
		{"config check without file", []string{"config", "check"}, 2, "--config: required"},
		{"a file without its flag", []string{"config", "check", "kycgate.yaml"}, 2, "kycgate config check takes the file as a flag: --config kycgate.yaml"},
		{"an argument to a command that takes none", []string{"serve", "extra"}, 2, `kycgate serve takes no arguments, not "extra"`},
		{"a subcommand mistyped", []string{"verifications", "lst"}, 2, `unknown command "lst" for "kycgate verifications"; did you mean "list"?`},
		{"an argument missing", []string{"verifications", "show", "sumsub"}, 2, "kycgate verifications show: missing ID (usage: kycgate verifications show SOURCE ID"},
		{"an argument too many", []string{"events", "show", "evt_1", "evt_2"}, 2, `kycgate events show: takes ID, not "evt_2" too`},
		{"demo reuse without a store", []string{"demo", "--reuse"}, 2, "--reuse: only with --store FILE"},
		{"a time that is not one", []string{"verifications", "list", "--since", "yesterday"}, 2, `invalid argument "yesterday" for "--since" flag: want an RFC 3339 time`},
		{"a funnel until no time", []string{"stats", "funnel", "--until", "2026-13-01"}, 2, "want an RFC 3339 time"},
		{"address in use", []string{"serve", "--listen", "256.0.0.1:1", "--config", write("ok.yaml", "storage: \"sqlite://"+dir+"/k.db\"\n")}, 1, "listen on 256.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.code, errb.String())
			}
			if !strings.Contains(out.String()+errb.String(), tt.want) {
				t.Errorf("output %q lacks %q", out.String()+errb.String(), tt.want)
			}
			for _, secret := range []string{"tok-secret-1", "sumsub-secret-9"} {
				if strings.Contains(out.String()+errb.String(), secret) {
					t.Errorf("output shows the secret %q", secret)
				}
			}
		})
	}
}

// TestMigrate applies the schema once, then nothing.
func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "k.yaml")
	os.WriteFile(cfg, []byte("storage: \"sqlite://"+dir+"/k.db\"\n"), 0o600)
	for i, want := range []*regexp.Regexp{regexp.MustCompile(`^applied [1-9]\d* migration`), regexp.MustCompile(`^applied 0 migration`)} {
		var out bytes.Buffer
		if code := run(context.Background(), []string{"migrate", "--config", cfg}, &out, io.Discard); code != 0 {
			t.Fatalf("migrate #%d exited %d", i, code)
		}
		if !want.MatchString(out.String()) {
			t.Errorf("migrate #%d: %q, want %s", i, out.String(), want)
		}
	}
}

// TestMain removes the binary buildBinary compiled, once every test is done.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binDir holds the binary buildBinary compiled; TestMain removes it.
var binDir string

// buildBinary compiles kycgate once for the tests that run it as a process.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kycgate-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "kycgate")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a kycgate serve running as a child process.
type process struct {
	cmd    *exec.Cmd
	addr   string
	stderr *bytes.Buffer
	done   chan error
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

func startServe(t *testing.T, configPath string) *process {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", configPath, "--listen", "127.0.0.1:0")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.addr = <-addr:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("kycgate did not start; stderr:\n%s", p.stderr)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return p
}

const durabilitySecret = "durability-secret"

// sumsubEvent returns a distinct, signed Sumsub webhook.
func sumsubEvent(t *testing.T, n int) ([]byte, http.Header) {
	body := fmt.Appendf(nil, `{"applicantId":"app-%d","correlationId":"req-%d","type":"applicantPending","reviewStatus":"pending","createdAtMs":"2026-11-22 10:00:00.000"}`, n%50, n)
	h, err := sumsub.Sign(durabilitySecret, "HMAC_SHA256_HEX", body)
	if err != nil {
		t.Fatal(err)
	}
	h.Set("Content-Type", "application/json")
	return body, h
}

type ack struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
	n         int
}

func send(client *http.Client, url string, body []byte, h http.Header) (ack, int, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header = h
	resp, err := client.Do(req)
	if err != nil {
		return ack{}, 0, err
	}
	defer resp.Body.Close()
	var a ack
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			return ack{}, resp.StatusCode, err
		}
	}
	return a, resp.StatusCode, nil
}

// TestDurability_SIGKILL: under concurrent load the server process is
// killed without warning; after a restart every event it acknowledged is
// there, and its retry is recognised as a duplicate of the same id.
func TestDurability_SIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "kycgate.yaml")
	dbPath := filepath.Join(dir, "kycgate.db")
	cfg := fmt.Sprintf("storage: \"sqlite://%s\"\nsources:\n  - name: sumsub\n    provider: sumsub\n    secrets: [%q]\n", dbPath, durabilitySecret)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, cfgPath)
	url := "http://" + p.addr + "/webhooks/sumsub"

	var (
		mu    sync.Mutex
		acked []ack
		next  int
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				n := next
				next++
				mu.Unlock()
				body, h := sumsubEvent(t, n)
				a, status, err := send(client, url, body, h)
				if err != nil {
					return // the server is gone
				}
				if status != http.StatusOK {
					t.Errorf("status %d before the kill", status)
					return
				}
				a.n = n
				mu.Lock()
				acked = append(acked, a)
				mu.Unlock()
			}
		})
	}
	// Kill once a good number of events are acknowledged, mid-stream.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	close(stop)
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d events acknowledged before the kill; the test proves little", len(acked))
	}
	t.Logf("%d events acknowledged before SIGKILL (%d sent)", len(acked), next)

	// Every acknowledged event is in the file, with its body.
	store, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acked {
		ev, err := store.FindEvent(context.Background(), a.ID)
		if err != nil {
			t.Fatalf("acknowledged event %s (#%d) lost: %v", a.ID, a.n, err)
		}
		if want, _ := sumsubEvent(t, a.n); !bytes.Equal(ev.Body, want) {
			t.Fatalf("event %s body %q, want %q", a.ID, ev.Body, want)
		}
	}
	store.Close()

	// After a restart, the provider's retries are recognised.
	p2 := startServe(t, cfgPath)
	url = "http://" + p2.addr + "/webhooks/sumsub"
	for _, a := range acked {
		body, h := sumsubEvent(t, a.n)
		got, status, err := send(client, url, body, h)
		if err != nil || status != 200 || !got.Duplicate || got.ID != a.ID {
			t.Fatalf("retry of #%d: %+v %d %v; want duplicate of %s", a.n, got, status, err, a.ID)
		}
	}
	// A graceful stop exits 0.
	p2.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p2.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p2.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit 20s after SIGTERM")
	}
}

// TestConfigExample: what kycgate config example prints is a valid
// configuration with a source of every provider.
func TestConfigExample(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"config", "example"}, &out, &errb); code != 0 {
		t.Fatalf("config example: exit %d %s", code, errb.String())
	}
	path := filepath.Join(t.TempDir(), "kycgate.yaml")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var checked bytes.Buffer
	want := fmt.Sprintf("is valid: %d source(s)", len(registry.Names()))
	if code := run(context.Background(), []string{"config", "check", "--config", path}, &checked, &errb); code != 0 || !strings.Contains(checked.String(), want) {
		t.Fatalf("config check of the example: exit %d, %q lacks %q; %s", code, checked.String(), want, errb.String())
	}
}

// TestServe_PortTaken: a port another process holds stops serve with a
// message that says what to do, before the store's file is created.
func TestServe_PortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "k.yaml")
	if err := os.WriteFile(cfg, []byte("storage: \"sqlite://"+dir+"/data/k.db\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--config", cfg, "--listen", ln.Addr().String()}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "another process listens there") || !strings.Contains(errb.String(), "--listen") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("the store was opened before the address: %v", err)
	}
}
