package graphops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

var registerBatchErrors sync.Once

// batch sends up to 20 Graph requests in one JSON $batch round trip (each step
// built from the SDK's request builders with ToXxxRequestInformation) and
// returns the items by the key the caller gave them.
type batch struct {
	adapter abs.RequestAdapter
	req     msgraphcore.BatchRequest
	ids     map[string]string // caller key -> batch item id
	order   []string
}

func newBatch(adapter abs.RequestAdapter) *batch {
	registerBatchErrors.Do(func() {
		// msgraph-sdk-go-core maps a failed step to an error only through this
		// registry; without it every failed step is an opaque ApiError.
		_ = msgraphcore.RegisterError(msgraphcore.BatchRequestErrorRegistryKey, abs.ErrorMappings{
			"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
			"5XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		})
	})
	return &batch{adapter: adapter, req: msgraphcore.NewBatchRequest(adapter), ids: map[string]string{}}
}

// batchStep is a request built by an SDK request builder's ToXxxRequestInformation.
type batchStep struct {
	ri  *abs.RequestInformation
	err error
}

// step wraps ToXxxRequestInformation's two results.
func step(ri *abs.RequestInformation, err error) batchStep {
	if err == nil && ri == nil {
		err = fmt.Errorf("batch: no request information")
	}
	return batchStep{ri, err}
}

// add queues a step. dependsOn names earlier keys that must succeed first.
func (b *batch) add(key string, st batchStep, dependsOn ...string) error {
	if st.err != nil {
		return st.err
	}
	item, err := b.req.AddBatchRequestStep(*st.ri)
	if err != nil {
		return err
	}
	for _, d := range dependsOn {
		item.SetDependsOn(append(item.GetDependsOn(), b.ids[d]))
	}
	b.ids[key] = *item.GetId()
	b.order = append(b.order, key)
	return nil
}

func (b *batch) len() int { return len(b.order) }

// batchResult holds the answered steps.
type batchResult struct {
	resp msgraphcore.BatchResponse
	ids  map[string]string
}

func (b *batch) send(ctx context.Context) (*batchResult, error) {
	resp, err := b.req.Send(ctx, b.adapter)
	if err != nil {
		return nil, err
	}
	return &batchResult{resp: resp, ids: b.ids}, nil
}

// status is a step's HTTP status (0 when the step is missing from the answer).
func (r *batchResult) status(key string) int {
	item := r.resp.GetResponseById(r.ids[key])
	if item == nil || item.GetStatus() == nil {
		return 0
	}
	return int(*item.GetStatus())
}

// parse decodes a step's body with an SDK model constructor; a failed step
// returns its *odataerrors.ODataError.
func batchParse[T absser.Parsable](r *batchResult, key string, ctor absser.ParsableFactory) (T, error) {
	var zero T
	item := r.resp.GetResponseById(r.ids[key])
	if item == nil {
		return zero, fmt.Errorf("batch: no answer for step %s", key)
	}
	if st := int(*item.GetStatus()); st >= 400 {
		_, err := msgraphcore.GetBatchResponseById[T](r.resp, r.ids[key], ctor)
		// msgraph-core leaves the step's HTTP status off the parsed error; the
		// retry decisions (replication lag, throttling) need it.
		var oe *odataerrors.ODataError
		if errors.As(err, &oe) {
			oe.ResponseStatusCode = st
		} else if err == nil {
			err = fmt.Errorf("batch step %s failed with status %d", key, st)
		}
		return zero, err
	}
	raw, err := json.Marshal(item.GetBody())
	if err != nil {
		return zero, err
	}
	node, err := jsonser.NewJsonParseNode(raw)
	if err != nil {
		return zero, err
	}
	v, err := node.GetObjectValue(ctor)
	if err != nil || v == nil {
		return zero, err
	}
	return v.(T), nil
}
