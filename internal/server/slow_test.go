package server_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kycgate/kycgate/internal/server"
)

// TestSlowClients: a client that sends its headers or its body too slowly
// is cut off by the server's timeouts, and the server goes on serving.
func TestSlowClients(t *testing.T) {
	g := newGateway(t) // for its store
	srv := server.New(server.Options{Store: g.store, Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 400 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(t.Context()) })

	for name, send := range map[string]string{
		"headers never finish": "POST /webhooks/sumsub HTTP/1.1\r\nHost: kycgate\r\nX-Payload-Digest: ab",
		"body never finishes":  "POST /webhooks/sumsub HTTP/1.1\r\nHost: kycgate\r\nContent-Length: 1000\r\n\r\n{\"type\":",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write([]byte(send)); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			reply, _ := io.ReadAll(bufio.NewReader(c)) // until the server closes the connection
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("the connection stayed open %v", took)
			}
			if strings.Contains(string(reply), "200 OK") {
				t.Errorf("a slow client got 200: %q", reply)
			}
		})
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the server stopped serving: %v", err)
	}
	resp.Body.Close()
}

// TestHeaderInjection: a header folded onto a second line (the old way of
// smuggling a header) never becomes a header of its own: Go's server joins
// it to the previous header's value, which then fails authentication, and
// nothing is stored.
func TestHeaderInjection(t *testing.T) {
	g := newGateway(t)
	reply := sendRaw(t, g, "POST /webhooks/sumsub HTTP/1.1\r\nHost: kycgate\r\nX-Payload-Digest-Alg: HMAC_SHA256_HEX\r\n X-Payload-Digest: 00\r\nContent-Length: 2\r\n\r\n{}")
	if !strings.HasPrefix(reply, "HTTP/1.1 4") {
		t.Errorf("answer %q, want a refusal", reply)
	}
	if g.count(t) != 0 {
		t.Error("stored an event from a malformed request")
	}
}

// TestBodyShorterThanDeclared: a body that ends before its Content-Length
// is answered 400 with a message that says so, and nothing is stored.
func TestBodyShorterThanDeclared(t *testing.T) {
	g := newGateway(t)
	reply := sendRaw(t, g, "POST /webhooks/sumsub HTTP/1.1\r\nHost: kycgate\r\nContent-Length: 1000\r\n\r\n{\"type\":")
	if !strings.HasPrefix(reply, "HTTP/1.1 400") || !strings.Contains(reply, "it ended before the 1000 bytes its Content-Length declared") {
		t.Errorf("answer %q", reply)
	}
	if g.count(t) != 0 {
		t.Error("stored a body that was cut")
	}
}

// sendRaw writes req to g's server as sent, on a connection of its own,
// closes its sending side, and returns all the server answers.
func sendRaw(t *testing.T, g *gateway, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	reply, _ := io.ReadAll(c)
	return string(reply)
}
