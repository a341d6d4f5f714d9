package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
)

// tcpProxy forwards connections to target until it is cut, as a database
// that crashed or a network that failed; it can be restored on the same
// address.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go io.Copy(up, c)
			go io.Copy(c, up)
		}
	}()
}

// cut closes the listener and every connection.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *tcpProxy) restore(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.serve(ln)
}

// TestStoreFault_PostgresGone: while the database is unreachable, ingest
// answers 503 and acknowledges nothing, and readiness fails; when it comes
// back, kycgate recovers by itself.
func TestStoreFault_PostgresGone(t *testing.T) {
	storage, ok := postgresSchema(t)
	if !ok {
		t.Skip("needs PostgreSQL")
	}
	u, _ := url.Parse(storage)
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	q := u.Query()
	q.Set("connect_timeout", "1")
	u.RawQuery = q.Encode()
	cfg, err := config.Parse(fmt.Appendf(nil, "listen: \"127.0.0.1:0\"\nstorage: %q\nsources:\n  - {name: sumsub, provider: sumsub, secrets: [s3cret]}\n", u.String()), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	app, _ := runApp(t, cfg)
	base := "http://" + app.Addr()
	post := func(n int) int {
		body := fmt.Sprintf(`{"applicantId":"app-f","correlationId":"c%d","type":"applicantPending","createdAtMs":"2026-11-22 10:00:%02d.000"}`, n, n)
		h, _ := sumsubSignHeaders(body)
		req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/sumsub", strings.NewReader(body))
		req.Header = h
		resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ready := func() int {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := post(1); s != 200 {
		t.Fatalf("before the fault: %d", s)
	}
	proxy.cut()
	if s := post(2); s != http.StatusServiceUnavailable {
		t.Errorf("with the database gone: %d, want 503", s)
	}
	if s := ready(); s != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database gone: %d, want 503", s)
	}
	proxy.restore(t)
	waitUntil(t, "readiness after the database came back", func() bool { return ready() == 200 })
	if s := post(3); s != 200 {
		t.Errorf("after recovery: %d", s)
	}
	if s := post(2); s != 200 {
		t.Errorf("the provider's retry of the refused event: %d", s)
	}
}

func sumsubSignHeaders(body string) (http.Header, error) {
	return sumsub.Sign("s3cret", "HMAC_SHA256_HEX", []byte(body))
}
