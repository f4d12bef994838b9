package ui

import (
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/wizard"
	"m365wizard/wizard/profile"
)

// Expiry choices as the Azure portal offers them.
var expiryChoices = []struct {
	label string
	days  int
}{
	{"180 days (6 months)", 180},
	{"365 days (12 months) — recommended", 365},
	{"545 days (18 months)", 545},
	{"730 days (24 months)", 730},
	{"Custom", 0},
}

const (
	credSecretLabel = "Client secret (as the guide describes)"
	credCertLabel   = "Certificate (when the tenant forbids or shortens secrets)"
)

// secretScreen: Client secret (New setup) and New client secret (Replace an
// expired secret): description; expiry (6, 12, 18, 24 months, custom; the
// tenant's cap shown); Create, then the Value shown once with copy and a plain
// "this is the Value, not the Secret ID"; a certificate as the alternative.
type secretScreen struct {
	base
	w  *Window
	id wizard.StepID
	p  *profile.Profile

	kind       *widget.RadioGroup
	desc       *entry
	expiry     *widget.Select
	customDays *entry
	removeOld  *widget.Check
	inputs     *fyne.Container
	outcome    *fyne.Container
	value      *widget.Label // the secret Value, shown once
	copyValue  *widget.Button
	copied     *widget.Label
	box        *fyne.Container

	// The vendor's certificate (Passly): chosen with a file dialog, shown
	// with its thumbprint before and after the upload; no secret.
	vendor   bool
	certPick *widget.Button
	certData []byte
	certPath string
	certInfo *fyne.Container
	thumb    *widget.Label // the thumbprint, large, to compare with the vendor's screen
}

func newSecret(w *Window, id wizard.StepID) *secretScreen {
	return &secretScreen{w: w, id: id}
}

func (s *secretScreen) title() string {
	if s.id == wizard.StepNewSecret {
		return "New client secret"
	}
	return s.w.stepTitle(s.id, "Client secret")
}

func (s *secretScreen) intro() string {
	s.p = profileOf(s.w.eng.State())
	s.vendor = s.id == wizard.StepCredential && s.p != nil && s.p.VendorCertificate()
	if s.vendor {
		if s.p.Help.Certificate != "" {
			return s.p.Help.Certificate
		}
		return "Upload the certificate " + s.p.Product + " gives you to the app."
	}
	if s.p != nil && s.p.Help.Credential != "" {
		return "Step 3 of the guide (Certificates & secrets > New client secret). " + s.p.Help.Credential
	}
	return "Create a client secret for the app."
}

func (s *secretScreen) focus() fyne.Focusable {
	if s.vendor {
		return nil
	}
	return s.desc
}

func (s *secretScreen) view() fyne.CanvasObject {
	w := s.w
	st := w.eng.State()
	s.desc = newEntry(w)
	s.desc.SetPlaceHolder("M365 Setup Wizard " + time.Now().Format("2006-01-02"))
	var labels []string
	for _, c := range expiryChoices {
		labels = append(labels, c.label)
	}
	s.customDays = newEntry(w)
	s.customDays.SetPlaceHolder("days, e.g. 90")
	s.customDays.Hide()
	s.expiry = widget.NewSelect(labels, func(v string) {
		if v == "Custom" {
			s.customDays.Show()
		} else {
			s.customDays.Hide()
		}
	})
	s.expiry.SetSelectedIndex(1)

	s.inputs = container.NewVBox()
	s.outcome = container.NewVBox()
	if s.vendor {
		s.vendorView()
		s.box = container.NewVBox(s.inputs, s.outcome)
		return s.box
	}
	if s.id == wizard.StepCredential && s.p != nil && s.p.AllowsCredential(profile.CredentialCertificate) {
		s.kind = widget.NewRadioGroup([]string{credSecretLabel, credCertLabel}, func(string) { s.kindChanged() })
		s.kind.SetSelected(credSecretLabel)
		note := ""
		if s.p.Credential.Note != "" {
			note = s.p.Credential.Note
		}
		s.inputs.Add(formRow("Credential", s.kind, para(note), s.errs.at("credential")))
	}
	s.inputs.Add(formRow("Description", s.desc, para("A descriptive label only - it isn't the secret.")))
	expiryHelp := "Note that if a secret expires, " + productOf(st) + " stops working until you create a new secret and re-enter its value (this wizard's Replace an expired secret does that)."
	if s.p != nil && s.p.Help.Expiry != "" {
		expiryHelp = s.p.Help.Expiry
	}
	s.inputs.Add(formRow("Expires", s.expiry, s.customDays, s.errs.at("secret-lifetime"), para(expiryHelp)))
	if st.Plan != nil {
		if cap := st.Plan.Policy.Explain(); cap != "" {
			c, _ := warning(cap)
			s.inputs.Add(c)
		} else if st.Plan.Policy.Known {
			s.inputs.Add(para("Your tenant sets no cap on secret lifetimes."))
		}
	}
	if s.id == wizard.StepNewSecret {
		s.removeOld = widget.NewCheck("Remove the old secret once the new one has tested green", nil)
		s.removeOld.SetChecked(true)
		s.inputs.Add(s.removeOld)
		s.inputs.Add(para("Only secrets this app already had are removed, and only after Test Settings passed with the new one and the keychain holds it. " +
			"Leave it unticked if another program still uses the old secret."))
		if lost := st.Leftovers; len(lost) > 0 {
			c, _ := warning("An earlier replacement made a secret (ID " + strings.Join(lost, ", ") + ") that never reached the keychain, so its value is lost. " +
				"It is removed from the app once the new secret has tested green, ticked or not.")
			s.inputs.Add(c)
		}
	}
	s.box = container.NewVBox(s.inputs, s.outcome)
	return s.box
}

func (s *secretScreen) kindChanged() {
	if s.kind == nil {
		return
	}
	if s.kind.Selected == credCertLabel {
		s.desc.Disable()
	} else {
		s.desc.Enable()
	}
	s.w.refresh()
}

func (s *secretScreen) certificate() bool { return s.kind != nil && s.kind.Selected == credCertLabel }

func (s *secretScreen) load(st *wizard.State) {
	s.desc.SetText(st.SecretDescription)
	if s.kind != nil && st.CredentialType == "certificate" {
		s.kind.SetSelected(credCertLabel)
	}
	days := int(st.SecretLifetime / (24 * time.Hour))
	for i, c := range expiryChoices {
		if c.days == days {
			s.expiry.SetSelectedIndex(i)
			return
		}
	}
	if days > 0 {
		s.expiry.SetSelected("Custom")
		s.customDays.SetText(strconv.Itoa(days))
	}
}

func (s *secretScreen) apply(st *wizard.State) {
	if s.vendor {
		st.CredentialType = wizard.CredCertificate
		st.VendorCertificate = s.certData
		return
	}
	st.SecretDescription = strings.TrimSpace(s.desc.Text)
	if s.kind != nil {
		st.CredentialType = "secret"
		if s.certificate() {
			st.CredentialType = "certificate"
		}
	}
	for _, c := range expiryChoices {
		if c.label == s.expiry.Selected && c.days > 0 {
			st.SecretLifetime = time.Duration(c.days) * 24 * time.Hour
		}
	}
	if s.expiry.Selected == "Custom" {
		d, err := strconv.Atoi(strings.TrimSpace(s.customDays.Text))
		if err != nil || d < 1 {
			st.SecretLifetime = time.Nanosecond // not empty (that means the default): the check refuses it
		} else {
			st.SecretLifetime = time.Duration(d) * 24 * time.Hour
		}
	}
	if s.removeOld != nil {
		st.RemoveOld = s.removeOld.Checked
	}
}

func (s *secretScreen) action(*wizard.State) string {
	if s.vendor {
		return "Upload certificate"
	}
	if s.certificate() {
		return "Create certificate"
	}
	return "Create client secret"
}

func (s *secretScreen) retry(st *wizard.State) string { return s.action(st) }

func (s *secretScreen) busyText(st *wizard.State) string {
	if s.vendor {
		return "Uploading " + productOf(st) + "'s certificate (its public part) to the app, keeping the app's other keys…"
	}
	if st.CredentialType == "certificate" {
		return "Making a certificate and adding its public part to the app…"
	}
	return "Adding a new client secret to the app…"
}

func (s *secretScreen) setBusy(b bool) {
	if s.certPick != nil {
		if b {
			s.certPick.Disable()
		} else {
			s.certPick.Enable()
		}
	}
	for _, d := range []fyne.Disableable{s.desc, s.expiry, s.customDays} {
		if b {
			d.Disable()
		} else {
			d.Enable()
		}
	}
	if s.kind != nil {
		if b {
			s.kind.Disable()
		} else {
			s.kind.Enable()
			s.kindChanged()
		}
	}
}

// result shows the Value once, with copy, and what it is not.
func (s *secretScreen) result(st *wizard.State) bool {
	w := s.w
	s.inputs.Hide()
	s.outcome.Objects = nil
	if c := st.NewCert; c != nil && c.Vendor {
		s.outcome.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil,
			bold("The certificate from "+productOf(st)+" was uploaded to the app. No secret was made, and none is stored.")))
		s.outcome.Add(s.thumbprintCard(c.Thumbprint, "Expires on "+c.End.Local().Format("2 January 2006")+"."))
		s.outcome.Add(para("Compare it with the thumbprint " + productOf(st) + " shows (Signing and Encryption): they must be the same. " +
			"The app also shows it in the Entra admin center under Certificates & secrets > Certificates."))
		s.outcome.Refresh()
		return true
	}
	if c := st.NewCert; c != nil {
		s.outcome.Add(bold("The certificate was created and its public part added to the app."))
		s.outcome.Add(w.copyRow("Thumbprint:", c.Thumbprint))
		s.outcome.Add(para("Expires on " + c.End.Local().Format("2 January 2006") + ". The private key stays in this computer's keychain; " +
			"it is never shown. Check that " + productOf(st) + " accepts a certificate before relying on it."))
		s.outcome.Refresh()
		return true
	}
	sec := st.NewSecret
	if sec == nil {
		return false
	}
	s.outcome.Add(bold("Copy the secret from the Value below. It is shown only this once."))
	s.value = widget.NewLabel(sec.Value)
	s.value.TextStyle = fyne.TextStyle{Monospace: true}
	s.value.Selectable = true
	s.copied = widget.NewLabel("")
	s.copied.Wrapping = fyne.TextWrapWord
	s.copied.Hide()
	value := sec.Value
	s.copyValue = widget.NewButtonWithIcon("Copy Value", theme.ContentCopyIcon(), func() {
		w.copySecret(value)
		s.copied.SetText("Copied. The clipboard is cleared in " + w.clipboardTTL.Round(time.Second).String() + " if it still holds the secret.")
		s.copied.Show()
	})
	s.copyValue.Importance = widget.HighImportance
	s.outcome.Add(widget.NewCard("", "", container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabelWithStyle("Value", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), s.copyValue, s.value),
		s.copied)))
	c, _ := warning("This is the Value, not the Secret ID. " + productOf(st) + " needs the Value; pasting the Secret ID is the commonest reason " +
		"for \"invalid client secret\" (AADSTS7000215).")
	s.outcome.Add(c)
	sid := widget.NewLabel("Secret ID (not needed by " + productOf(st) + "): " + sec.KeyID)
	sid.Wrapping = fyne.TextWrapWord
	s.outcome.Add(sid)
	s.outcome.Add(para("Description: " + sec.DisplayName + "   Expires: " + sec.End.Local().Format("2 January 2006")))
	if s.p != nil && s.p.Help.SecretValue != "" {
		s.outcome.Add(para(s.p.Help.SecretValue))
	}
	s.outcome.Add(para("You don't have to keep it anywhere else: after Test Settings the wizard stores it in this computer's keychain."))
	s.outcome.Refresh()
	return true
}

// copySecret puts a secret on the clipboard and clears it after
// w.clipboardTTL if it is still there (the admin may have copied something
// else meanwhile: that stays).
func (w *Window) copySecret(v string) {
	cb := w.app.Clipboard()
	cb.SetContent(v)
	w.later(w.clipboardTTL, func() {
		if cb.Content() == v {
			cb.SetContent("")
		}
	})
}

// vendorView: the vendor's certificate file, chosen with a file dialog, its
// thumbprint shown before it is uploaded.
func (s *secretScreen) vendorView() {
	w := s.w
	if s.p.Credential.Note != "" {
		s.inputs.Add(para(s.p.Credential.Note))
	}
	s.certPick = widget.NewButtonWithIcon("Choose the certificate file…", theme.FolderOpenIcon(), s.chooseCertificate)
	s.certPick.Importance = widget.HighImportance
	s.certInfo = container.NewVBox()
	s.inputs.Add(formRow("Certificate from "+s.p.Product+" (.cer, .crt or .pem)", container.NewHBox(s.certPick), s.errs.at("certificate-file"), s.certInfo))
	s.inputs.Add(para("Only the certificate's public part is uploaded: " + s.p.Product + " keeps its private key, so there is no secret to copy or store."))
	_ = w
}

func (s *secretScreen) chooseCertificate() {
	s.w.openFile("Certificate from "+s.p.Product, []string{".cer", ".crt", ".pem"}, func(path string, data []byte, err error) {
		if err == nil && path == "" && data == nil {
			return
		}
		s.errs.show(nil)
		if err == nil {
			var vc *graphops.VendorCertificate
			if vc, err = graphops.ParseVendorCertificate(data, s.w.now()); err == nil {
				s.certData, s.certPath = data, path
				s.certInfo.Objects = []fyne.CanvasObject{
					para("File: " + path),
					s.thumbprintCard(vc.Thumbprint, "Subject: "+vc.Subject+"\nValid from "+vc.NotBefore.Local().Format("2 January 2006")+
						" to "+vc.NotAfter.Local().Format("2 January 2006")+"."),
				}
				s.certInfo.Refresh()
				s.certPick.SetText("Choose another file…")
				s.certPick.Importance = widget.MediumImportance
				s.certPick.Refresh()
				return
			}
		}
		s.certData, s.certPath = nil, ""
		s.certInfo.Objects = nil
		s.certInfo.Refresh()
		s.errs.show([]wizard.FieldError{{Field: "certificate-file", Message: err.Error()}})
	})
}

// thumbprintCard shows a thumbprint large, to compare with the vendor's screen.
func (s *secretScreen) thumbprintCard(thumbprint, detail string) fyne.CanvasObject {
	s.thumb = widget.NewLabel(thumbprint)
	s.thumb.TextStyle = fyne.TextStyle{Monospace: true}
	s.thumb.SizeName = theme.SizeNameHeadingText
	s.thumb.Selectable = true
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { s.w.app.Clipboard().SetContent(thumbprint) })
	return widget.NewCard("", "", container.NewVBox(
		bold("Thumbprint (SHA-1)"),
		container.NewBorder(nil, nil, nil, container.NewVBox(copyBtn), s.thumb),
		para(detail)))
}
