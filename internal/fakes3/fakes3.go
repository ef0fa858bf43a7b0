// Package fakes3 runs an in-process S3 server (gofakes3) on 127.0.0.1 for
// the object storage tests: no network, no Docker. It can fail or stall a
// share of requests, and counts them.
package fakes3

import (
	"bytes"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// AccessKey and SecretKey are the test credentials the server is given
// through the environment. Tests check that SecretKey never appears in a
// log, a manifest, an error or an object.
const (
	AccessKey = "AKIAMARGINMIXTEST01"
	SecretKey = "mm-secret-do-not-print-7f3a9c"
)

// Server is a running fake S3.
type Server struct {
	Endpoint string
	Backend  *s3mem.Backend

	mu        sync.Mutex
	failFrom  int           // first request to fail (counted from 1; 0: none)
	failCount int           // how many requests fail from there
	stall     time.Duration // how long a stalled request waits
	stallAt   int           // stall every n-th request (0: none)
	requests  atomic.Int64
	failed    atomic.Int64
}

// Start serves a fake S3 with the given buckets until the test ends, and
// points the AWS SDK's environment at it.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	s := &Server{Backend: s3mem.New()}
	for _, b := range buckets {
		if err := s.Backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.faulty(gofakes3.New(s.Backend).Server())}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.Endpoint = "http://" + ln.Addr().String()
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_REGION", "") // none: marginmix must not need one for an S3-compatible store
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", s.Endpoint)
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return s
}

// Fail makes count requests answer 500, starting with the from-th request
// counted from now (from 0 turns failing off).
func (s *Server) Fail(from, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	base := int(s.requests.Load())
	s.failFrom, s.failCount = base+from, count
	if from == 0 {
		s.failFrom = 0
	}
}

// Stall makes every n-th request wait d before it is served (n 0: none).
func (s *Server) Stall(n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallAt, s.stall = n, d
}

// Requests is how many requests the server has had.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Failed is how many requests were failed on purpose.
func (s *Server) Failed() int64 { return s.failed.Load() }

func (s *Server) faulty(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.requests.Add(1))
		s.mu.Lock()
		from, count, stallAt, stall := s.failFrom, s.failCount, s.stallAt, s.stall
		s.mu.Unlock()
		if stallAt > 0 && n%stallAt == 0 {
			select {
			case <-time.After(stall):
			case <-r.Context().Done():
				return
			}
		}
		if from > 0 && n >= from && n < from+count {
			s.failed.Add(1)
			http.Error(w, "<Error><Code>InternalError</Code><Message>injected</Message></Error>", http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Keys lists a bucket's object keys in order.
func (s *Server) Keys(t testing.TB, bucket string) []string {
	t.Helper()
	list, err := s.Backend.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, o.Key)
	}
	sort.Strings(keys)
	return keys
}

// Contains reports whether any object of the bucket holds b.
func (s *Server) Contains(t testing.TB, bucket string, b []byte) []string {
	t.Helper()
	var hits []string
	for _, k := range s.Keys(t, bucket) {
		o, err := s.Backend.GetObject(bucket, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(o.Contents)
		o.Contents.Close()
		if bytes.Contains(buf.Bytes(), b) {
			hits = append(hits, k)
		}
	}
	return hits
}
