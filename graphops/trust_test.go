package graphops

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testCA makes a CA and a server certificate it signs for the given names.
func testCA(t *testing.T, dnsNames []string, ips []net.IP) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "server"}, DNSNames: dnsNames, IPAddresses: ips,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func serveTLS(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL // https://127.0.0.1:port
}

// The extra CA of a custom endpoint is trusted only for the names its
// certificates carry, also when the endpoint is an IP address (no SNI).
func TestExtraCATrustChecksTheHostOfAnIPEndpoint(t *testing.T) {
	cloud := Cloud{Name: "custom", Custom: true}

	pool, wrongName := testCA(t, []string{"other.example"}, nil)
	url := serveTLS(t, wrongName)
	if _, err := NewHTTPClient(cloud, TrustConfig{ExtraCAs: pool}).Get(url); err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("a certificate for other.example was accepted for %s: %v", url, err)
	}

	pool, right := testCA(t, nil, []net.IP{net.ParseIP("127.0.0.1")})
	url = serveTLS(t, right)
	resp, err := NewHTTPClient(cloud, TrustConfig{ExtraCAs: pool}).Get(url)
	if err != nil {
		t.Fatalf("a certificate for 127.0.0.1 from the extra CA was refused: %v", err)
	}
	resp.Body.Close()

	// Not a custom cloud: the extra CA is not trusted at all.
	if _, err := NewHTTPClient(Cloud{Name: "global"}, TrustConfig{ExtraCAs: pool}).Get(url); err == nil {
		t.Fatal("the extra CA was trusted for a Microsoft cloud")
	}
}

// An untrusted certificate is said to be one (a TLS-inspecting proxy is the
// usual cause), not "could not reach".
func TestUntrustedCertificateIsExplained(t *testing.T) {
	_, cert := testCA(t, nil, []net.IP{net.ParseIP("127.0.0.1")})
	url := serveTLS(t, cert)
	_, err := NewHTTPClient(Cloud{Name: "custom", Custom: true}, TrustConfig{}).Get(url)
	ge, ok := AsError(fromGraph(err, "Reading the app"))
	if !ok || ge.Kind != KindUnavailable || !strings.Contains(ge.Message, "not trusted") || !strings.Contains(ge.NextStep, "M365WIZARD_CA_FILE") {
		t.Fatalf("untrusted certificate: %+v", ge)
	}
	if strings.Contains(ge.Message, "could not be reached") {
		t.Fatalf("said unreachable: %s", ge.Message)
	}
}
