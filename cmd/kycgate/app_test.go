package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
	"github.com/kycgate/kycgate/internal/store/sqlite"
)

// TestApp_GracefulShutdown: a request in flight when the stop comes is
// finished, committed and answered; then the App stops.
func TestApp_GracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	cfg, err := config.Parse(fmt.Appendf(nil, "listen: \"127.0.0.1:0\"\nstorage: \"sqlite://%s\"\nsources:\n  - {name: sumsub, provider: sumsub, secrets: [s3cret]}\n", db), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	app, stop := runApp(t, cfg)

	body := []byte(`{"applicantId":"a1","correlationId":"c1","type":"applicantPending","createdAtMs":"2026-11-22 10:00:00.000"}`)
	h, _ := sumsub.Sign("s3cret", "HMAC_SHA256_HEX", body)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, "http://"+app.Addr()+"/webhooks/sumsub", pr)
	req.Header = h
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		answered <- resp
	}()
	pw.Write(body[:10]) // the request is in flight, its body half sent
	time.Sleep(50 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }() // as on SIGTERM
	time.Sleep(50 * time.Millisecond)
	pw.Write(body[10:])
	pw.Close()

	resp := <-answered
	if resp == nil {
		t.Fatal("no answer")
	}
	var a struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	if resp.StatusCode != 200 || a.ID == "" {
		t.Fatalf("in-flight request answered %d %+v, want 200 with an id", resp.StatusCode, a)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	store, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.FindEvent(context.Background(), a.ID); err != nil {
		t.Fatalf("the acknowledged event is not stored: %v", err)
	}
	if _, err := http.Get("http://" + app.Addr() + "/healthz"); err == nil {
		t.Error("still serving after Run returned")
	}
}

// runApp opens and runs a gateway for cfg until stop is called or the test
// ends; stop returns what Run returned.
func runApp(t *testing.T, cfg *config.Config) (*gateway.App, func() error) {
	t.Helper()
	return runAppAt(t, cfg, nil)
}

// runAppAt is runApp with the gateway's clock now (nil: the wall clock).
func runAppAt(t *testing.T, cfg *config.Config, now func() time.Time) (*gateway.App, func() error) {
	t.Helper()
	app := &gateway.App{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now}
	if err := app.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- app.Run(ctx) }()
	var (
		once sync.Once
		err  error
	)
	stop := func() error {
		once.Do(func() { cancel(); err = <-ran })
		return err
	}
	t.Cleanup(func() { stop() })
	return app, stop
}

// TestApp_ConnectionLimit: past max_connections, while every connection
// is busy with a request, a new connection waits until one finishes.
func TestApp_ConnectionLimit(t *testing.T) {
	cfg, err := config.Parse(fmt.Appendf(nil, "listen: \"127.0.0.1:0\"\nstorage: \"sqlite://%s\"\nmax_connections: 2\n", filepath.Join(t.TempDir(), "k.db")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	app, _ := runApp(t, cfg)
	var busy []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", app.Addr())
		if err != nil {
			t.Fatal(err)
		}
		// A request whose body is still coming: the connection is busy.
		c.Write([]byte("POST /webhooks/none HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"))
		busy = append(busy, c)
	}
	client := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := client.Get("http://" + app.Addr() + "/healthz"); err == nil {
		t.Fatal("a third connection was served while two were busy")
	}
	busy[0].Close()
	client.Timeout = 5 * time.Second
	if resp, err := client.Get("http://" + app.Addr() + "/healthz"); err != nil {
		t.Fatalf("after one closed: %v", err)
	} else {
		resp.Body.Close()
	}
	busy[1].Close()
}

// TestApp_IdleConnectionsNeverLockOut: thousands of kept-alive connections
// that each sent one request and went silent, three times the default
// max_connections, do not keep a provider out: its webhook is answered
// before it stops waiting, and so is a client that keeps opening new
// connections meanwhile.
func TestApp_IdleConnectionsNeverLockOut(t *testing.T) {
	cfg, err := config.Parse(fmt.Appendf(nil, "listen: \"127.0.0.1:0\"\nstorage: \"sqlite://%s\"\nsources:\n  - {name: sumsub, provider: sumsub, secrets: [s3cret]}\n", filepath.Join(t.TempDir(), "k.db")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConnections != 1024 {
		t.Fatalf("max_connections defaults to %d; this test is about 1024", cfg.MaxConnections)
	}
	app, _ := runApp(t, cfg)
	const idle = 3 * 1024
	conns := make([]net.Conn, 0, idle)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range idle {
		c, err := net.Dial("tcp", app.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) // answered, then kept alive in silence
		conns = append(conns, c)
	}
	provider := &http.Client{Timeout: sumsubWait, Transport: &http.Transport{DisableKeepAlives: true}}
	for n := range 20 { // a provider, or any client, opening one connection after another
		body := fmt.Sprintf(`{"applicantId":"app-idle","correlationId":"c%d","type":"applicantPending","createdAtMs":"2026-11-22 10:00:%02d.000"}`, n, n)
		h, _ := sumsubSignHeaders(body)
		req, _ := http.NewRequest(http.MethodPost, "http://"+app.Addr()+"/webhooks/sumsub", strings.NewReader(body))
		req.Header = h
		resp, err := provider.Do(req)
		if err != nil {
			t.Fatalf("webhook %d with %d idle connections open: %v", n, idle, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("webhook %d: %d", n, resp.StatusCode)
		}
	}
}

// TestApp_OneServePerSQLiteFile: a second gateway on a SQLite file another
// one serves is refused, with the process that holds it; once that one
// stops, it starts.
func TestApp_OneServePerSQLiteFile(t *testing.T) {
	storage := "sqlite://" + filepath.Join(t.TempDir(), "k.db")
	parse := func() *config.Config {
		cfg, err := config.Parse(fmt.Appendf(nil, "listen: \"127.0.0.1:0\"\nstorage: %q\n", storage), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	_, stop := runApp(t, parse())
	second := &gateway.App{Config: parse(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err := second.Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("another kycgate serve (process %d) serves", os.Getpid())) {
		second.Close()
		t.Fatalf("a second serve of the file: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	runApp(t, parse())
}
