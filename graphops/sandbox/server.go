// Package sandbox serves a simulated Microsoft 365 tenant over HTTPS on
// loopback: an identity platform (login) host and a Microsoft Graph host, each
// on its own listener, with certificates from a CA generated at start. The real
// MSAL Go and msgraph-sdk-go accept it. It backs the tests and the product's
// --sandbox mode; its faithfulness to Microsoft's documented wire behaviour
// (shared/GRAPH-FACTS.md) is what makes a green test mean something.
package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// Options configures a sandbox.
type Options struct {
	// LoginAddr and GraphAddr are the listen addresses; "127.0.0.1:0" (a free
	// port) when empty. Only loopback addresses are accepted.
	LoginAddr string
	GraphAddr string
	// Tenants to create; the first is the primary. One "Contoso" tenant when empty.
	Tenants []TenantOptions
}

// Server is a running sandbox. Its methods are safe for concurrent use.
type Server struct {
	mu        sync.Mutex // guards tenants, behaviour and STS state
	tenants   map[string]*Tenant
	order     []*Tenant
	behaviour Behaviour
	sts       *stsState

	signer   *signer
	ca       *authority
	log      RequestLog
	faults   faultSet
	loginMux *http.ServeMux
	graphMux *http.ServeMux

	loginSrv, graphSrv *http.Server
	loginURL, graphURL string
}

// Start creates the tenants, generates the CA and serves both hosts.
func Start(opts Options) (*Server, error) {
	ca, err := newAuthority()
	if err != nil {
		return nil, err
	}
	sg, err := newSigner()
	if err != nil {
		return nil, err
	}
	s := &Server{
		tenants:  map[string]*Tenant{},
		signer:   sg,
		ca:       ca,
		loginMux: http.NewServeMux(),
		graphMux: http.NewServeMux(),
		sts:      newSTSState(),
	}
	if len(opts.Tenants) == 0 {
		opts.Tenants = []TenantOptions{{DisplayName: "Contoso", Domain: "contoso.com"}}
	}
	for _, to := range opts.Tenants {
		if to.ExtraUsers > 100000 {
			return nil, fmt.Errorf("sandbox: at most 100,000 extra users per tenant (asked for %d)", to.ExtraUsers)
		}
		s.addTenant(to)
	}
	s.routeLogin()
	s.routeDirectory()
	s.routeWorkload()
	// Graph answers an unknown path with its envelope, not a bare 404.
	s.graphMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		seg := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+seg+"'.")
	})

	loginLn, err := listenLoopback(opts.LoginAddr)
	if err != nil {
		return nil, err
	}
	graphLn, err := listenLoopback(opts.GraphAddr)
	if err != nil {
		loginLn.Close()
		return nil, err
	}
	s.loginURL = "https://" + loginLn.Addr().String()
	s.graphURL = "https://" + graphLn.Addr().String()
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{ca.leaf}, MinVersion: tls.VersionTLS12}
	s.loginSrv = &http.Server{Handler: s.middleware(HostLogin, s.loginMux), TLSConfig: tlsCfg.Clone(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quietLog()}
	s.graphSrv = &http.Server{Handler: s.middleware(HostGraph, http.HandlerFunc(s.graphEntry)), TLSConfig: tlsCfg.Clone(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quietLog()}
	go s.loginSrv.ServeTLS(loginLn, "", "")
	go s.graphSrv.ServeTLS(graphLn, "", "")
	return s, nil
}

func listenLoopback(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("sandbox: listen address %q is not loopback; the sandbox only serves this machine", addr)
	}
	return net.Listen("tcp", addr)
}

// Close stops both listeners.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.loginSrv.Shutdown(ctx)
	_ = s.graphSrv.Shutdown(ctx)
}

// LoginURL is the authority host, e.g. https://127.0.0.1:8443 (no tenant, no slash).
func (s *Server) LoginURL() string { return s.loginURL }

// GraphURL is the Graph root without version, e.g. https://127.0.0.1:8444.
func (s *Server) GraphURL() string { return s.graphURL }

// CACertPEM is the sandbox CA certificate in PEM, for other processes (SSL_CERT_FILE).
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.ca.certPEM...) }

// CertPool trusts the sandbox CA, for in-process clients.
func (s *Server) CertPool() *x509.CertPool { return s.ca.pool.Clone() }

// WriteCAFile writes the CA certificate to path.
func (s *Server) WriteCAFile(path string) error { return os.WriteFile(path, s.ca.certPEM, 0o644) }

// HTTPClient returns a client that trusts the sandbox CA (and nothing else).
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: s.ca.pool, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2: true,
		},
	}
}

// Log is the request log.
func (s *Server) Log() *RequestLog { return &s.log }

// SetBehaviour switches real-tenant behaviours (replication lags and so on).
func (s *Server) SetBehaviour(b Behaviour) {
	s.mu.Lock()
	s.behaviour = b
	s.mu.Unlock()
}

// CurrentBehaviour returns the behaviour in force.
func (s *Server) CurrentBehaviour() Behaviour {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.behaviour
}

// InjectFault queues a transient failure (429, 503 or a dropped connection).
func (s *Server) InjectFault(f Fault) { s.faults.add(f) }

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// TenantID is the primary tenant's id.
func (s *Server) TenantID() string { return s.order[0].ID }

// TenantDomain is the primary tenant's default verified domain.
func (s *Server) TenantDomain() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order[0].DefaultDomain()
}

// AddTenant creates another tenant (for "app not in that tenant" cases) and returns its id.
func (s *Server) AddTenant(opts TenantOptions) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addTenant(opts).ID
}

func (s *Server) addTenant(opts TenantOptions) *Tenant {
	t := newTenant(opts, time.Now())
	s.tenants[t.ID] = t
	s.order = append(s.order, t)
	return t
}

// Tenant runs fn with the tenant (empty id = primary) under the sandbox lock, so
// tests can read or arrange state. fn must not call other Server methods.
func (s *Server) Tenant(id string, fn func(t *Tenant)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.order[0]
	if id != "" {
		t = s.tenants[id]
	}
	if t == nil {
		return errors.New("sandbox: no such tenant " + id)
	}
	fn(t)
	return nil
}

// tenantByKey resolves a tenant path segment: a GUID or a verified domain.
// Callers hold s.mu.
func (s *Server) tenantByKey(key string) *Tenant {
	if t := s.tenants[strings.ToLower(key)]; t != nil {
		return t
	}
	for _, t := range s.order {
		if t.HasDomain(key) {
			return t
		}
	}
	return nil
}

// middleware logs every wire request and applies queued faults first.
func (s *Server) middleware(host Host, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			st := rec.status
			if st == 0 {
				st = -1 // dropped connection
			}
			s.log.add(LogEntry{Time: start, Host: host, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
				Status: st, Duration: time.Since(start)})
		}()
		if f := s.faults.take(host, r); f != nil {
			// Read the request to its end before answering, as a front door does:
			// the client's body writer has finished before the 429/503 reaches it.
			_, _ = io.Copy(io.Discard, r.Body)
			f.apply(rec, r)
			return
		}
		next.ServeHTTP(rec, r)
	})
}
