package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/glint-economy/glint/internal/webhooks"
)

// A platform's handler for glint's webhooks: read the raw body, verify it,
// then deduplicate on the event id before acting. glint's Sender plays the
// other side.
func ExampleVerify() {
	secrets := [][]byte{[]byte("whsec_shared_with_glint")}

	var (
		mu        sync.Mutex
		processed = map[string]bool{} // a real receiver keeps this in its database
	)
	handler := func(w http.ResponseWriter, r *http.Request) {
		// 1. The raw bytes, capped: the signature covers them, not their JSON.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		// 2. The signature and its age. A 4xx answer makes glint stop.
		err = webhooks.Verify(r.Header.Get(webhooks.HeaderSignature), body, secrets, 5*time.Minute, time.Now())
		if err != nil {
			fmt.Println("rejected:", err)
			http.Error(w, "invalid signature", http.StatusBadRequest)
			return
		}
		// 3. Only now parse, and act once per event id.
		var ev webhooks.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "invalid event", http.StatusBadRequest)
			return
		}
		mu.Lock()
		dup := processed[ev.ID]
		processed[ev.ID] = true
		mu.Unlock()
		if dup {
			fmt.Println("duplicate", ev.ID, "ignored")
		} else {
			fmt.Printf("%s %s: %s\n", ev.Type, ev.ID, ev.Data)
		}
		w.WriteHeader(http.StatusNoContent) // 2xx: delivered
	}
	srv := httptest.NewServer(http.HandlerFunc(handler))
	defer srv.Close()

	ev := webhooks.Event{
		ID:        "evt_01",
		Type:      "withdrawal.updated",
		CreatedAt: time.Now(),
		Data:      json.RawMessage(`{"withdrawal_id":"wd_42","status":"paid"}`),
	}
	glint := &webhooks.Sender{URL: srv.URL, Secrets: secrets}
	fmt.Println("send:", glint.Send(context.Background(), ev))
	fmt.Println("retry:", glint.Send(context.Background(), ev)) // e.g. the first 2xx was lost

	forger := &webhooks.Sender{URL: srv.URL, Secrets: [][]byte{[]byte("guessed")}}
	err := forger.Send(context.Background(), ev)
	fmt.Println("forged, permanent:", errors.Is(err, webhooks.ErrPermanent))

	// Output:
	// withdrawal.updated evt_01: {"withdrawal_id":"wd_42","status":"paid"}
	// send: <nil>
	// duplicate evt_01 ignored
	// retry: <nil>
	// rejected: webhooks: signature does not match
	// forged, permanent: true
}
