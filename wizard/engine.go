// Package wizard is the setup flows as a state machine: typed steps with
// validation, skip predicates and explicit end states, driven through Next,
// Back and Abort. It holds no UI and speaks HTTP only through the graphops
// operations it is given, so the window and the command line drive the same
// engine and can never disagree about the flow.
package wizard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"m365wizard/graphops"
)

// StepID names a step.
type StepID string

// The steps. Titles follow the HelpMaster guide so an admin reading it side
// by side recognises each screen.
const (
	StepSignIn      StepID = "sign-in"     // Cloud and sign-in
	StepRegister    StepID = "register"    // Register the app
	StepPermissions StepID = "permissions" // API permissions
	StepConsent     StepID = "consent"     // Admin consent
	StepCredential  StepID = "credential"  // Client secret (or certificate)
	StepDomains     StepID = "domains"     // Domains: a profile's domain filter and the users it covers
	StepMailbox     StepID = "mailbox"     // Mailbox access
	StepTest        StepID = "test"        // Test Settings
	StepSave        StepID = "save"        // Save
	StepStored      StepID = "stored"      // Stored settings
	StepFindApp     StepID = "find-app"    // The app, found from the stored client ID
	StepNewSecret   StepID = "new-secret"  // Its secrets with expiry; a new secret
	StepRemoveOld   StepID = "remove-old"  // Old secret removed (after the new one tested green)
	StepDetails     StepID = "details"     // Application (client) ID, Directory (tenant) ID, secret
)

// FlowKind names a flow.
type FlowKind string

const (
	FlowNewSetup      FlowKind = "new-setup"
	FlowReplaceSecret FlowKind = "replace-secret"
	FlowEnterExisting FlowKind = "enter-existing"
	FlowTestStored    FlowKind = "test-stored"
)

// Status is where the engine is.
type Status int

const (
	Running   Status = iota // on a step, waiting for Next
	Completed               // every step done
	Aborted                 // the admin cancelled
	Failed                  // the last Next failed; Failure says why; Next retries the step
)

func (s Status) String() string {
	return [...]string{"running", "completed", "aborted", "failed"}[s]
}

// FieldError is an input problem on the current step; nothing was sent.
type FieldError struct {
	Field   string
	Message string
}

func (f FieldError) Error() string { return f.Message }

// ValidationError is Next refused because the step has field errors.
type ValidationError struct{ Fields []FieldError }

func (v *ValidationError) Error() string {
	msgs := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		msgs[i] = f.Message
	}
	return strings.Join(msgs, " ")
}

// step is one screen of a flow. Check and Skip look at the state only; Do is
// the step's work, run by Next after Check passed.
type step struct {
	id       StepID
	title    string
	titleFor func(*Engine) string // a title that depends on the choices (optional)
	skip     func(*Engine) bool
	check    func(*Engine) []FieldError
	do       func(context.Context, *Engine) error
}

// StepView is a step as a front end lists it.
type StepView struct {
	ID      StepID
	Title   string
	Done    bool
	Current bool
	Skipped bool
}

// Engine runs one flow. Its methods are safe for concurrent use; Next blocks
// while the step works (front ends call it off their UI thread).
type Engine struct {
	mu      sync.Mutex
	deps    Deps
	kind    FlowKind
	steps   []step
	done    map[StepID]bool
	idx     int
	status  Status
	failure error
	state   *State
	session Session
	busy    bool
	// resuming: after sign-in, jump to the first step not done yet.
	resuming bool
	// consentTried: admin consent ran before in this flow (failed, or granted
	// in the browser meanwhile), so existing grants must be read, even for an
	// app this run created.
	consentTried bool

	// The admin's own profile file, read once (State.ProfileFile).
	pmu             sync.Mutex
	fileProfile     Profile
	fileProfilePath string
}

// New starts a flow. st carries the admin's choices made so far (may be nil).
func New(kind FlowKind, deps Deps, st *State) (*Engine, error) {
	steps, ok := flows[kind]
	if !ok {
		return nil, fmt.Errorf("wizard: unknown flow %q", kind)
	}
	if err := deps.check(); err != nil {
		return nil, err
	}
	if st == nil {
		st = &State{}
	}
	st.Flow = kind
	e := &Engine{deps: deps, kind: kind, steps: steps, done: map[StepID]bool{}, state: st}
	if st.Profile == "" {
		st.Profile = e.profileKey()
	}
	e.applyDefaults()
	e.idx = e.firstFrom(0)
	if e.idx >= len(e.steps) {
		e.status = Completed
	}
	return e, nil
}

// Flow is the kind of flow the engine runs.
func (e *Engine) Flow() FlowKind { return e.kind }

// State returns the state. Front ends set inputs on it between steps (under
// no concurrent Next) and read results from it.
func (e *Engine) State() *State { return e.state }

// Current is the step the engine is on ("" once completed or aborted).
func (e *Engine) Current() StepID {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.idx >= len(e.steps) || e.status == Aborted {
		return ""
	}
	return e.steps[e.idx].id
}

// Status and Failure report the end state and, for Failed, the reason.
func (e *Engine) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

func (e *Engine) Failure() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failure
}

// Steps lists the flow for the step list: done, current, to do, skipped.
func (e *Engine) Steps() []StepView {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]StepView, 0, len(e.steps))
	for i, s := range e.steps {
		title := s.title
		if s.titleFor != nil {
			title = s.titleFor(e)
		}
		out = append(out, StepView{ID: s.id, Title: title, Done: e.done[s.id],
			Current: i == e.idx && e.status != Completed && e.status != Aborted,
			Skipped: s.skip != nil && s.skip(e)})
	}
	return out
}

// Check validates the current step's inputs without doing anything.
func (e *Engine) Check() []FieldError {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.checkLocked()
}

func (e *Engine) checkLocked() []FieldError {
	if e.idx >= len(e.steps) || e.steps[e.idx].check == nil {
		return nil
	}
	return e.steps[e.idx].check(e)
}

// ErrBusy is returned when Next is called while a step is already working.
var ErrBusy = errors.New("wizard: a step is already running")

// ErrFinished is returned by Next once the flow completed or was aborted.
var ErrFinished = errors.New("wizard: the flow has ended")

// Next validates the current step, does its work and moves to the next step
// that is not skipped. Field errors refuse the move (*ValidationError) and
// nothing is sent. A failed step leaves the engine on it with status Failed;
// calling Next again retries it (steps are idempotent). Progress is saved
// after every step.
func (e *Engine) Next(ctx context.Context) error {
	e.mu.Lock()
	if e.status == Completed || e.status == Aborted {
		e.mu.Unlock()
		return ErrFinished
	}
	if e.busy {
		e.mu.Unlock()
		return ErrBusy
	}
	e.applyDefaults() // the front end may have cleared a choice since the last step
	if fe := e.checkLocked(); len(fe) > 0 {
		e.mu.Unlock()
		return &ValidationError{Fields: fe}
	}
	s := e.steps[e.idx]
	e.busy = true
	e.mu.Unlock()

	var err error
	if s.do != nil {
		err = s.do(ctx, e)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	e.busy = false
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return err // an input problem found while working: stay, still running
		}
		if graphops.KindOf(err) == graphops.KindCancelled {
			e.status, e.failure = Running, nil
			return err
		}
		e.status, e.failure = Failed, err
		return err
	}
	e.done[s.id] = true
	e.status, e.failure = Running, nil
	e.idx = e.firstFrom(e.idx + 1)
	if e.resuming && s.id == StepSignIn {
		e.resuming = false
		for e.idx < len(e.steps) && e.done[e.steps[e.idx].id] {
			e.idx = e.firstFrom(e.idx + 1)
		}
	}
	if e.idx >= len(e.steps) {
		e.status = Completed
	}
	e.saveProgressLocked()
	return nil
}

// Back moves to the previous step that is not skipped. What earlier steps made
// stays; running them again finds it.
func (e *Engine) Back() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.busy || e.status == Completed || e.status == Aborted {
		return false
	}
	for i := e.idx - 1; i >= 0; i-- {
		if s := e.steps[i]; s.skip == nil || !s.skip(e) {
			e.idx, e.status, e.failure = i, Running, nil
			return true
		}
	}
	return false
}

// Abort ends the flow. What was made stays (and is in the saved progress) so
// a later run resumes; undoing it is Undo's job.
func (e *Engine) Abort() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status = Aborted
	e.saveProgressLocked()
}

// MadeSomething reports whether the flow created something in the tenant
// (so a front end asks "keep it to resume later, or remove it?" on cancel).
func (e *Engine) MadeSomething() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.App != nil && e.state.App.Created
}

// Undo removes the app registration this flow created (and with it its
// service principal, grants and secrets) and forgets the saved progress.
func (e *Engine) Undo(ctx context.Context) error {
	e.mu.Lock()
	app, sess := e.state.App, e.session
	e.mu.Unlock()
	if app == nil || !app.Created {
		return nil
	}
	if sess == nil {
		return &graphops.Error{Kind: graphops.KindSignIn, Message: "Sign in again to remove the app."}
	}
	err := sess.DeleteApp(ctx, app.ObjectID)
	e.record("delete app", app.AppID, err)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.state.App = nil
	e.mu.Unlock()
	if e.deps.Progress != nil {
		return e.deps.Progress.Clear()
	}
	return nil
}

func (e *Engine) firstFrom(i int) int {
	for ; i < len(e.steps); i++ {
		if s := e.steps[i]; s.skip == nil || !s.skip(e) {
			return i
		}
	}
	return i
}

// forbid tells the activity log (when it can redact) the secrets this flow handles.
func (e *Engine) forbid(values ...string) {
	if f, ok := e.deps.Log.(interface{ Forbid(...string) }); ok {
		f.Forbid(values...)
	}
}

// record writes one activity log entry (never a secret: only ids and outcomes).
func (e *Engine) record(op, object string, err error) {
	if e.deps.Log == nil {
		return
	}
	en := Activity{Time: e.deps.now(), Operation: op, Object: object, Outcome: "ok"}
	if err != nil {
		en.Outcome = "failed"
		en.Message = err.Error()
		if ge, ok := graphops.AsError(err); ok {
			en.RequestID, en.Message = ge.RequestID, ge.Message
		}
	}
	e.deps.Log.Record(en)
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}
