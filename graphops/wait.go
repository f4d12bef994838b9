package graphops

import (
	"context"
	"time"
)

// retryUntil runs op until it succeeds, fails with an error retryable does not
// accept, or patience runs out. Every wait is reported through ctx's progress
// callback and ends early when ctx is cancelled. Delays grow from 250 ms to a
// 5 s cap: Entra publishes no replication SLA, so the deadline (not a count)
// bounds the wait.
func retryUntil(ctx context.Context, activity string, patience time.Duration, retryable func(error) bool, op func() error) error {
	return retryUntilCapped(ctx, activity, patience, 5*time.Second, retryable, op)
}

// retryUntilCapped is retryUntil with another ceiling on the delay between
// attempts (polling a cheap endpoint for propagation wants a short one).
func retryUntilCapped(ctx context.Context, activity string, patience, maxDelay time.Duration, retryable func(error) bool, op func() error) error {
	deadline := time.Now().Add(patience)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	delay := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !retryable(err) {
			return err
		}
		if time.Now().Add(delay).After(deadline) {
			return &Error{Kind: KindNotReady, Message: activity + ": Microsoft had not caught up when the wizard stopped waiting.",
				NextStep: "Entra can take several minutes to replicate a new object. Run the wizard again; it finds what it already made.", Err: err}
		}
		report(ctx, Progress{Activity: activity, Attempt: attempt, Wait: delay, Deadline: deadline})
		if err := sleepCtx(ctx, delay); err != nil {
			return contextError(err)
		}
		delay = min(delay*2, maxDelay)
	}
}
