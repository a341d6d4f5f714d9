package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycgate/kycgate/internal/httpx"
	"github.com/kycgate/kycgate/internal/redact"
)

// Result is what one attempt to send got.
type Result struct {
	StatusCode int           // HTTP status; 0 when there was no answer
	Err        error         // nil when the destination acknowledged the event
	RetryAfter time.Duration // the destination asked to wait this long (429)
	Permanent  bool          // retrying cannot help: dead-letter now
	Disable    bool          // the destination is gone (410): pause it
}

// Target sends one event's envelope to a destination.
type Target interface {
	Send(ctx context.Context, env *Envelope, body []byte) Result
}

// HTTPTarget posts envelopes signed per Standard Webhooks.
type HTTPTarget struct {
	URL       string
	Keys      [][]byte
	Client    *http.Client
	UserAgent string
	Now       func() time.Time
}

// NewHTTPClient returns the client of an HTTP destination that keeps up to
// concurrency sends in flight: it keeps as many connections open between
// sends (the default keeps two, and every send beyond them would open a
// connection, with its TLS handshake, of its own), gives up on an attempt
// after timeout, and does not follow redirects, which are the
// destination's answer.
func NewHTTPClient(concurrency int, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(concurrency, 1)
	return &http.Client{
		Transport:     t,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Send posts the envelope. 2xx acknowledges it; 410 disables the
// destination; 408, 425, 429 and 5xx, timeouts and network errors are
// retried; any other status is permanent.
func (h *HTTPTarget) Send(ctx context.Context, env *Envelope, body []byte) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Err: err, Permanent: true}
	}
	ts := h.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", h.UserAgent)
	req.Header.Set(HeaderID, env.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(h.Keys, env.ID, ts, body))
	resp, err := h.Client.Do(req)
	if err != nil {
		return Result{Err: err}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	res := Result{StatusCode: resp.StatusCode}
	switch code := resp.StatusCode; {
	case code/100 == 2:
		return res
	case code == http.StatusGone:
		res.Disable = true
	case code == http.StatusTooManyRequests:
		res.RetryAfter = httpx.RetryAfter(resp.Header.Get("Retry-After"), ts)
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code >= 500:
	default:
		res.Permanent = true
	}
	res.Err = fmt.Errorf("answered %s", resp.Status)
	return res
}

// NATSTarget publishes envelopes to JetStream, to SUBJECT.PROVIDER.TYPE,
// with Nats-Msg-Id set to the event id so that the stream stores a
// redelivered event once.
type NATSTarget struct {
	Subject string
	js      jetstream.JetStream
	nc      *nats.Conn
}

// NewNATSTarget connects to url; with createStream it creates or updates
// the stream that takes SUBJECT.>.
func NewNATSTarget(ctx context.Context, url, subject, stream string, createStream bool) (*NATSTarget, error) {
	nc, err := nats.Connect(url, nats.Name("kycgate"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", redact.URL(url), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats %s: %w", redact.URL(url), err)
	}
	if createStream {
		if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{subject + ".>"}, Duplicates: 24 * time.Hour}); err != nil {
			nc.Close()
			return nil, fmt.Errorf("nats: create stream %s: %w", stream, err)
		}
	}
	return &NATSTarget{Subject: subject, js: js, nc: nc}, nil
}

// Send publishes and waits for the stream's acknowledgement.
func (n *NATSTarget) Send(ctx context.Context, env *Envelope, body []byte) Result {
	msg := nats.NewMsg(n.Subject + "." + env.Provider + "." + string(env.Type))
	msg.Header.Set(jetstream.MsgIDHeader, env.ID)
	msg.Header.Set("Content-Type", "application/json")
	msg.Data = body
	if _, err := n.js.PublishMsg(ctx, msg); err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			return Result{Err: fmt.Errorf("no stream takes subject %s: create one, or set create_stream: true", msg.Subject)}
		}
		return Result{Err: err}
	}
	return Result{}
}

// Close closes the connection.
func (n *NATSTarget) Close() { n.nc.Close() }
