package delivery_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/delivery"
)

// natsURL returns the NATS server the tests use: $TEST_NATS_URL, or the
// machine's on 127.0.0.1:4222. Without one the test is skipped, except in
// CI, where .ci/run starts it and the test must run.
func natsURL(t *testing.T) string {
	url := os.Getenv("TEST_NATS_URL")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	conn, err := net.DialTimeout("tcp", url[len("nats://"):], time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs a NATS server with JetStream at %s: %v", url, err)
		}
		t.Skipf("no NATS server at %s (set TEST_NATS_URL, or start nats-server -js): %v", url, err)
	}
	conn.Close()
	return url
}

// TestNATSTarget publishes to a real JetStream stream: the subject names
// provider and type, and Nats-Msg-Id lets the stream store a redelivered
// event once.
func TestNATSTarget(t *testing.T) {
	url := natsURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream := fmt.Sprintf("KYCGATE_TEST_%d", time.Now().UnixNano())
	subject := "kycgatetest." + stream
	target, err := delivery.NewNATSTarget(ctx, url, subject, stream, true)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	defer js.DeleteStream(context.Background(), stream)

	env := &delivery.Envelope{ID: "evt_nats1", Type: kycgate.EventDecided, Provider: "sumsub", Source: "s"}
	body, _ := env.Marshal()
	for range 2 { // the second is a redelivery of the same event
		if res := target.Send(ctx, env, body); res.Err != nil {
			t.Fatalf("Send: %v", res.Err)
		}
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := st.Info(ctx)
	if info.State.Msgs != 1 {
		t.Fatalf("the stream holds %d messages, want 1", info.State.Msgs)
	}
	msg, err := st.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := subject + ".sumsub.verification.decided"; msg.Subject != want {
		t.Errorf("subject %s, want %s", msg.Subject, want)
	}
	if msg.Header.Get(jetstream.MsgIDHeader) != "evt_nats1" || string(msg.Data) != string(body) {
		t.Errorf("message: %v %s", msg.Header, msg.Data)
	}

	// Without a stream for the subject, publishing fails with a clear error.
	lone, err := delivery.NewNATSTarget(ctx, url, "kycgatetest.nostream", "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer lone.Close()
	if res := lone.Send(ctx, env, body); res.Err == nil {
		t.Error("published with no stream to take it")
	}
}
