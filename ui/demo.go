package ui

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"

	"m365wizard/graphops/sandbox"
)

// The screenshot walk-through (docs/ui.md): with M365WIZARD_UI_DEMO set to a
// folder and --sandbox, the window walks New setup, Replace an expired secret
// and a few other screens by itself. Before each screenshot it writes the
// screenshot's name to <folder>/request and waits until the script that
// takes it (ui/screenshots.sh) deletes the file. Nothing of this runs
// without the variable, and it refuses to run without the sandbox.
const demoEnv = "M365WIZARD_UI_DEMO"

var startDemo = func(w *Window) {
	dir := os.Getenv(demoEnv)
	if dir == "" || w.fe.Sandbox == nil {
		return
	}
	go (&demo{w: w, dir: dir}).run()
}

type demo struct {
	w   *Window
	dir string
}

// do runs f on the UI thread and waits (the demo is its own goroutine).
func (d *demo) do(f func()) { fyne.DoAndWait(f) }

func (d *demo) idle() {
	time.Sleep(200 * time.Millisecond)
	for {
		var busy bool
		d.do(func() { busy = d.w.busy })
		if !busy {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *demo) shot(name string) {
	time.Sleep(900 * time.Millisecond) // let the window draw
	req := filepath.Join(d.dir, "request")
	tmp := req + ".tmp"
	if os.WriteFile(tmp, []byte(name), 0o644) != nil || os.Rename(tmp, req) != nil {
		return
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(req); os.IsNotExist(err) {
			return
		}
	}
}

func (d *demo) next() {
	d.do(d.w.next)
	d.idle()
}

func (d *demo) tap(b func() fyne.Tappable) {
	d.do(func() { b().Tapped(&fyne.PointEvent{}) })
	d.idle()
}

func (d *demo) run() {
	w := d.w
	defer d.do(func() { w.app.Quit() })
	time.Sleep(time.Second)
	d.shot("01-welcome")

	// New setup.
	d.tap(func() fyne.Tappable { return w.scr.(*welcomeScreen).newSetup })
	d.shot("02-sign-in")
	d.do(w.next)
	time.Sleep(4 * time.Second) // the (stub) browser "opened"
	d.shot("03-sign-in-waiting")
	d.do(func() { w.scr.(*signInScreen).noBrowse.Tapped(&fyne.PointEvent{}) })
	d.idle()
	d.shot("04-signed-in")
	d.next()
	d.shot("05-register")
	d.next()
	d.do(func() { tapCheckAt(w.scr.(*permissionsScreen).checks["email-manager"]) })
	d.shot("06-api-permissions")
	d.next()
	d.shot("07-admin-consent")
	d.next()
	d.shot("08-admin-consent-granted")
	d.next()
	d.shot("09-client-secret")
	d.next()
	d.shot("10-client-secret-value")
	d.next()
	d.do(func() { w.scr.(*mailboxScreen).search.SetText("help") })
	for i := 0; i < 50; i++ {
		var n int
		d.do(func() { n = len(w.scr.(*mailboxScreen).addButtons) })
		if n > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.do(func() { w.scr.(*mailboxScreen).add("helpdesk@contoso.com") })
	d.shot("11-mailbox-access")
	d.next()
	d.shot("12-mailbox-script")
	d.tap(func() fyne.Tappable { return w.scr.(*mailboxScreen).sandboxRun }) // the Exchange administrator runs it
	d.next()
	// A fresh secret takes a moment to work everywhere: show the wait.
	w.fe.Sandbox.SetBehaviour(sandbox.Behaviour{SecretPropagationLag: 25 * time.Second})
	d.do(w.next)
	time.Sleep(2500 * time.Millisecond)
	d.shot("13-test-settings-running")
	d.idle()
	w.fe.Sandbox.SetBehaviour(sandbox.Behaviour{})
	d.shot("14-test-settings-passed")
	d.next()
	d.next()
	d.shot("15-saved")
	d.next()
	d.shot("16-welcome-stored")

	// Replace an expired secret.
	d.tap(func() fyne.Tappable { return w.scr.(*welcomeScreen).expireFor[0] })
	d.shot("17-welcome-expired")
	d.tap(func() fyne.Tappable { return w.scr.(*welcomeScreen).replace })
	d.shot("18-replace-stored-settings")
	d.next()
	d.do(w.next) // sign in: the stub browser "opens"; no browser? button
	time.Sleep(time.Second)
	d.do(func() { w.scr.(*signInScreen).noBrowse.Tapped(&fyne.PointEvent{}) })
	d.idle()
	d.next()
	d.next()
	d.shot("19-replace-the-app")
	d.next()
	d.shot("20-replace-new-secret")
	d.next() // create
	d.next()
	d.next() // Test Settings
	d.next()
	d.next() // save
	d.next()
	d.next() // remove the old secret
	d.shot("21-replace-old-secret-removed")
	d.next() // Finish
	d.shot("22-welcome-replaced")

	// A replacement cancelled after it made its secret, and the next one
	// that carries on and removes that secret.
	replaceToNewSecret := func() {
		d.tap(func() fyne.Tappable { return w.scr.(*welcomeScreen).replace })
		d.next()
		d.do(w.next)
		time.Sleep(time.Second)
		d.do(func() { w.scr.(*signInScreen).noBrowse.Tapped(&fyne.PointEvent{}) })
		d.idle()
		d.next()
		d.next()
		d.next()
	}
	replaceToNewSecret()
	d.next() // create
	d.do(w.cancel)
	d.idle()
	d.shot("22a-replace-cancelled")
	replaceToNewSecret()
	d.shot("22b-replace-carries-on")
	d.do(w.cancel)
	d.idle()

	// Cancel after the app was made: keep or remove.
	d.tap(func() fyne.Tappable { return w.scr.(*welcomeScreen).newSetup })
	d.do(func() { w.scr.(*signInScreen).useCode.OnTapped() })
	time.Sleep(1500 * time.Millisecond)
	d.shot("23-sign-in-with-a-code")
	d.do(func() { w.scr.(*signInScreen).approve.Tapped(&fyne.PointEvent{}) })
	d.idle()
	d.next()
	d.do(func() { w.scr.(*registerScreen).name.SetText("HelpMaster test") })
	d.next()
	d.next()
	d.do(w.cancel)
	d.shot("24-cancel-keep-or-remove")
	d.do(func() { w.removeBtn.Tapped(&fyne.PointEvent{}) })
	d.idle()

	// Enter existing details, with the commonest mistake.
	d.tap(func() fyne.Tappable { return w.scr.(*welcomeScreen).existing })
	d.do(func() {
		s := w.scr.(*detailsScreen)
		s.clientID.SetText("e7e4dbfc-046f-4074-9b3b-2ae8f144f59b")
		s.tenant.SetText("contoso.com")
		s.secret.SetText("0b5d5a2e-7f3c-4c57-9a4e-2f1b1d3c4e5f")
		w.next()
	})
	d.shot("25-enter-existing-details")
	d.do(func() { w.cancel() })

	// Another product: the profile choice, then Passly's certificate.
	d.tap(func() fyne.Tappable { return w.scr.(*welcomeScreen).choice.sel })
	d.shot("26-profile-choice")
	d.do(func() {
		if top := w.win.Canvas().Overlays().Top(); top != nil {
			top.Hide()
			w.win.Canvas().Overlays().Remove(top)
		}
		w.chooseProfile("passly")
	})
	d.tap(func() fyne.Tappable { return w.scr.(*welcomeScreen).newSetup })
	d.do(w.next)
	time.Sleep(time.Second)
	d.do(func() { w.scr.(*signInScreen).noBrowse.Tapped(&fyne.PointEvent{}) })
	d.idle()
	d.next()
	d.do(func() { w.scr.(*registerScreen).name.SetText("Passly daemon sync") })
	d.next() // register: to API permissions
	d.next() // register the app
	d.next() // grant admin consent
	d.next()
	if cert, err := demoCertificate(filepath.Join(d.dir, "passly-signing.cer")); err == nil {
		d.do(func() {
			w.openFile = func(_ string, _ []string, done func(string, []byte, error)) {
				data, err := os.ReadFile(cert)
				done(cert, data, err)
			}
		})
		d.tap(func() fyne.Tappable { return w.scr.(*secretScreen).certPick })
		d.shot("27-passly-certificate-file")
		d.next() // upload
		d.shot("28-passly-thumbprint")
		d.next()
		d.next() // Test Settings from the admin's side
		d.shot("29-passly-test-settings")
	}
	d.do(func() { w.cancel() })
	d.idle()
	d.do(func() {
		if w.removeBtn != nil {
			w.removeBtn.Tapped(&fyne.PointEvent{})
		}
	})
	d.idle()
}

// demoCertificate writes a certificate as a vendor hands it out (PEM, the
// public part only) for the Passly screenshots.
func demoCertificate(path string) (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Passly SSO signing (Contoso)"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(2, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// tapCheckAt taps a check box in the middle of its row, as a mouse does.
func tapCheckAt(c interface {
	fyne.Tappable
	Size() fyne.Size
}) {
	c.Tapped(&fyne.PointEvent{Position: fyne.NewPos(8, c.Size().Height/2)})
}
