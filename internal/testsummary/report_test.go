package main

import (
	"strings"
	"testing"
)

// TestReport: go test's plain lines survive, a failed test's output is
// shown and a passing one's is not, and the skipped tests are listed at
// the end under the reason each gave.
func TestReport(t *testing.T) {
	in := `{"Action":"start","Package":"example.com/m"}
{"Action":"start","Package":"example.com/m/a"}
{"Action":"run","Package":"example.com/m/a","Test":"TestOK"}
{"Action":"output","Package":"example.com/m/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestOK","Output":"    a_test.go:9: chatter of a passing test\n"}
{"Action":"pass","Package":"example.com/m/a","Test":"TestOK"}
{"Action":"output","Package":"example.com/m/a","Test":"TestPG","Output":"=== RUN   TestPG\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestPG","Output":"    pg_test.go:31: no PostgreSQL at 127.0.0.1:5432\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestPG","Output":"--- SKIP: TestPG (0.00s)\n"}
{"Action":"skip","Package":"example.com/m/a","Test":"TestPG"}
{"Action":"output","Package":"example.com/m/a","Output":"PASS\n"}
{"Action":"output","Package":"example.com/m/a","Output":"ok  \texample.com/m/a\t0.01s\n"}
{"Action":"pass","Package":"example.com/m/a"}
{"Action":"output","Package":"example.com/m/b","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"example.com/m/b","Test":"TestBad","Output":"    b_test.go:5: want 2, got 3\n"}
{"Action":"output","Package":"example.com/m/b","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"example.com/m/b","Test":"TestBad"}
{"Action":"output","Package":"example.com/m/b","Test":"TestPG2/sub","Output":"    b_test.go:31: no PostgreSQL at 127.0.0.1:5432\n"}
{"Action":"skip","Package":"example.com/m/b","Test":"TestPG2/sub"}
{"Action":"output","Package":"example.com/m","Test":"TestRoot","Output":"    m_test.go:3: no PostgreSQL at 127.0.0.1:5432\n"}
{"Action":"skip","Package":"example.com/m","Test":"TestRoot"}
{"Action":"output","Package":"example.com/m/b","Output":"FAIL\n"}
{"Action":"output","Package":"example.com/m/b","Output":"FAIL\texample.com/m/b\t0.01s\n"}
{"Action":"fail","Package":"example.com/m/b"}
`
	var out strings.Builder
	r := newReport(&out)
	if err := r.read(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	r.printSkips()
	want := "ok  \texample.com/m/a\t0.01s\n" +
		"=== RUN   TestBad\n    b_test.go:5: want 2, got 3\n--- FAIL: TestBad (0.00s)\n" +
		"FAIL\nFAIL\texample.com/m/b\t0.01s\n" +
		"\n3 tests skipped:\n  no PostgreSQL at 127.0.0.1:5432\n      a TestPG, b TestPG2/sub, . TestRoot\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
