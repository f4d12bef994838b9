package graphops

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Progress describes a wait the admin sees: what the wizard is waiting for,
// which attempt this is, how long until the next try, and when it gives up.
type Progress struct {
	Activity string        // e.g. "Waiting for Microsoft Graph (throttled)"
	Attempt  int           // 1 for the first retry
	Wait     time.Duration // until the next attempt
	Deadline time.Time     // when the wizard stops waiting
}

type progressKey struct{}

// WithProgress attaches a progress callback to ctx; every retry and wait done
// under ctx reports through it. fn must be quick and safe for concurrent use.
func WithProgress(ctx context.Context, fn func(Progress)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

func report(ctx context.Context, p Progress) {
	if fn, ok := ctx.Value(progressKey{}).(func(Progress)); ok && fn != nil {
		fn(p)
	}
}

type idempotentKey struct{}

// withIdempotent marks requests made under ctx as safe to resend after a
// dropped connection (GETs always are).
func withIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// retryTransport resends a request answered 429, 503 or 504 after the delay
// Microsoft asks for (Retry-After, in seconds or as a date; rounded up, where
// kiota truncates), or exponential backoff without one, reporting each wait and
// honouring cancellation, until MaxWait of waiting is used up. A dropped
// connection is retried for idempotent requests only: a POST that may have
// reached Microsoft is never blindly resent; the operation re-checks instead.
type retryTransport struct {
	Base       http.RoundTripper
	MaxWait    time.Duration // total waiting allowed per request
	MaxRetries int
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
}

func newRetryTransport(base http.RoundTripper) *retryTransport {
	return &retryTransport{Base: base, MaxWait: 2 * time.Minute, MaxRetries: 8, now: time.Now, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (rt *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead || req.Method == http.MethodDelete ||
		req.Method == http.MethodPut || ctx.Value(idempotentKey{}) != nil
	start := rt.now()
	deadline := start.Add(rt.MaxWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for attempt := 0; ; attempt++ {
		r := req.Clone(ctx)
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
		resp, err := rt.Base.RoundTrip(r)
		var wait time.Duration
		var why string
		switch {
		case err != nil:
			if ctx.Err() != nil || !idempotent || !isNetwork(err) {
				return nil, err
			}
			wait, why = backoff(attempt), "connection to Microsoft dropped"
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout:
			wait = retryAfter(resp.Header.Get("Retry-After"), rt.now())
			if wait < 0 {
				wait = backoff(attempt)
			}
			why = "Microsoft asked the wizard to slow down"
			if resp.StatusCode != http.StatusTooManyRequests {
				why = "Microsoft is briefly unavailable"
			}
		default:
			return resp, nil
		}
		if attempt >= rt.MaxRetries || rt.now().Add(wait).After(deadline) {
			if err != nil {
				return nil, err
			}
			return resp, nil // the caller turns the 429/503 into a plain error
		}
		if resp != nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		report(ctx, Progress{Activity: why + "; retrying " + req.Method + " " + shortPath(req), Attempt: attempt + 1, Wait: wait, Deadline: deadline})
		if err := rt.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func shortPath(r *http.Request) string {
	p := r.URL.Path
	if i := strings.Index(p, "/v1.0/"); i >= 0 {
		p = p[i+5:]
	}
	return p
}

// retryAfter parses Retry-After as seconds (possibly fractional: Graph sends
// "2.128") rounded up, or an HTTP date. -1 when absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(math.Ceil(secs*1000)) * time.Millisecond
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return -1
}

// backoff is 1 s, 2 s, 4 s … capped at 30 s.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 5)
	return min(d, 30*time.Second)
}

// TrustConfig says which certificate authorities to trust.
type TrustConfig struct {
	// ExtraCAs are trusted in addition to the platform's roots, for custom
	// endpoints only (the sandbox, a private test tenant). Go on Windows ignores
	// SSL_CERT_FILE, hence M365WIZARD_CA_FILE.
	ExtraCAs *x509.CertPool
}

// LoadCAFile reads a PEM bundle into a pool.
func LoadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Kind: KindInput, Field: "ca-file", Message: fmt.Sprintf("Cannot read the CA file %s: %v", path, err), Err: err}
	}
	pool := x509.NewCertPool()
	n := 0
	for len(data) > 0 {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		if c, err := x509.ParseCertificate(blk.Bytes); err == nil && blk.Type == "CERTIFICATE" {
			pool.AddCert(c)
			n++
		}
	}
	if n == 0 {
		return nil, &Error{Kind: KindInput, Field: "ca-file", Message: fmt.Sprintf("%s holds no PEM certificate.", path)}
	}
	return pool, nil
}

// NewHTTPClient returns the client every Microsoft call goes through: TLS
// verified against the platform roots (and, for a custom cloud, the extra CAs),
// and the retry layer.
func NewHTTPClient(cloud Cloud, trust TrustConfig) *http.Client {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var dialTLS func(ctx context.Context, network, addr string) (net.Conn, error)
	if cloud.Custom && trust.ExtraCAs != nil {
		extra := trust.ExtraCAs
		// Verify ourselves so the platform verifier still runs (Windows, macOS)
		// and the extra pool is consulted only when it fails. The host name is
		// the one dialled: TLS does not report it for an IP address (no SNI),
		// and an empty name would skip the host check.
		tlsCfg.InsecureSkipVerify = true
		tlsCfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyChain(cs, extra, cs.ServerName) // through a proxy: the name sent
		}
		dialTLS = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			cfg := tlsCfg.Clone()
			cfg.ServerName = host
			cfg.VerifyConnection = func(cs tls.ConnectionState) error { return verifyChain(cs, extra, host) }
			raw, err := (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			conn := tls.Client(raw, cfg)
			hctx, cancel := context.WithTimeout(ctx, 15*time.Second) // as TLSHandshakeTimeout
			defer cancel()
			if err := conn.HandshakeContext(hctx); err != nil {
				raw.Close()
				return nil, err
			}
			return conn, nil
		}
	}
	base := &http.Transport{
		DialTLSContext:        dialTLS,
		Proxy:                 http.ProxyFromEnvironment,
		TLSClientConfig:       tlsCfg,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	}
	return &http.Client{Transport: newRetryTransport(base), Timeout: 5 * time.Minute}
}

func verifyChain(cs tls.ConnectionState, extra *x509.CertPool, host string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: server sent no certificate")
	}
	if host == "" {
		return errors.New("tls: no host name to check the certificate against")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{DNSName: host, Intermediates: inter}
	_, sysErr := cs.PeerCertificates[0].Verify(opts)
	if sysErr == nil {
		return nil
	}
	opts.Roots = extra
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return sysErr
	}
	return nil
}
