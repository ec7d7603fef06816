package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/glint-economy/glint/internal/gifting"
)

// BatchGiftItem is one gift of POST /v1/gifts/batch.
type BatchGiftItem struct {
	StreamID       string `json:"stream_id" maxLength:"128"`
	IdempotencyKey string `json:"idempotency_key" minLength:"1" maxLength:"255" doc:"Each gift's own key; the same key through POST /v1/streams/{id}/gifts replays it"`
	GiftRequest
}

type batchInput struct {
	Body struct {
		Gifts []BatchGiftItem `json:"gifts" minItems:"1" doc:"At most the server's --batch-gifts-max gifts"`
	}
}

// BatchItemResult is the outcome of one gift of a batch.
type BatchItemResult struct {
	Index  int                 `json:"index"`
	Status int                 `json:"status" doc:"The status the gift would have had on its own: 201, or the error's"`
	Gift   *gifting.GiftResult `json:"gift,omitempty"`
	Error  *ErrorInfo          `json:"error,omitempty"`
}

type batchOutput struct {
	Body struct {
		Results   []BatchItemResult `json:"results"`
		Succeeded int               `json:"succeeded"`
		Failed    int               `json:"failed"`
	}
}

func (s *Server) batchRoutes() {
	o := op("send-gifts-batch", http.MethodPost, "/v1/gifts/batch", "Send many gifts at once, each with its own idempotency key and result", true, "gifts")
	o.MaxBodyBytes = int64(s.cfg.MaxBatchGifts) * 1024
	register(s, o, s.sendGiftsBatch)
}

func (s *Server) sendGiftsBatch(ctx context.Context, in *batchInput) (*batchOutput, error) {
	if n := len(in.Body.Gifts); n > s.cfg.MaxBatchGifts {
		return nil, errInvalid("gifts", fmt.Sprintf("a batch holds at most %d gifts, got %d", s.cfg.MaxBatchGifts, n))
	}
	for i, g := range in.Body.Gifts {
		if err := actFor(ctx, g.SenderID); err != nil {
			return nil, errForbidden(fmt.Sprintf("gifts[%d]: this token acts for another user", i))
		}
	}
	items := make([]gifting.BatchGift, len(in.Body.Gifts))
	for i, g := range in.Body.Gifts {
		id, err := idem(ctx, IdemHeader{IdempotencyKey: g.IdempotencyKey}, true, http.MethodPost, "/v1/streams/"+g.StreamID+"/gifts", g.GiftRequest)
		if err != nil {
			return nil, err
		}
		items[i] = gifting.BatchGift{Idem: id, Input: gifting.SendGiftInput{StreamID: g.StreamID, SenderID: g.SenderID, GiftID: g.GiftID, Quantity: g.Quantity, ComboID: g.ComboID}}
	}
	res := s.svc.SendGifts(ctx, items)
	out := &batchOutput{}
	out.Body.Results = make([]BatchItemResult, len(res))
	for i, r := range res {
		if r.Err == nil {
			out.Body.Results[i] = BatchItemResult{Index: i, Status: http.StatusCreated, Gift: r.Gift}
			out.Body.Succeeded++
			continue
		}
		ae := s.mapError(ctx, r.Err).(*apiError)
		info := ae.ErrorBody.Error
		out.Body.Results[i] = BatchItemResult{Index: i, Status: ae.status, Error: &info}
		out.Body.Failed++
	}
	return out, nil
}
