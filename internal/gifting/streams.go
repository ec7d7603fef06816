package gifting

import (
	"context"
	"errors"
	"strings"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// StartStreamInput makes a creator go live.
type StartStreamInput struct {
	ID        string // optional; generated when empty
	CreatorID string
	Title     string
}

// StartStream makes a creator go live. A creator has at most one live
// stream. Errors: KindInvalid, KindNotFound (creator), KindRule
// (user_not_active, not_age_verified), KindConflict (stream_already_live,
// stream_exists).
func (s *Service) StartStream(ctx context.Context, idem Idem, in StartStreamInput) (*StreamView, bool, error) {
	if err := CheckID("creator_id", in.CreatorID); err != nil {
		return nil, false, err
	}
	if in.ID != "" {
		if err := CheckID("id", in.ID); err != nil {
			return nil, false, err
		}
	}
	title := strings.TrimSpace(in.Title)
	if len([]rune(title)) > 140 {
		return nil, false, InvalidField("title", "title must be at most 140 characters")
	}
	if title != "" {
		if err := CheckDisplayName(title); err != nil {
			return nil, false, InvalidField("title", "title contains characters that are not allowed")
		}
	}
	id := in.ID
	if id == "" {
		id = NewID("s_")
	}
	var out *StreamView
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		r, rep, err := Once(ctx, tx, idem, func() (*StreamView, error) {
			if _, err := activeUser(ctx, tx, in.CreatorID, "creator"); err != nil {
				return nil, err
			}
			if _, err := tx.Stream(ctx, id); err == nil {
				return nil, Conflict("stream_exists", map[string]any{"stream_id": id}, "stream %s already exists", id)
			} else if !errors.Is(err, ledger.ErrNotFound) {
				return nil, err
			}
			live, err := tx.LiveStreamOf(ctx, in.CreatorID)
			if err != nil {
				return nil, err
			}
			if live != nil {
				return nil, Conflict("stream_already_live", map[string]any{"stream_id": live.ID}, "creator %s is already live in stream %s", in.CreatorID, live.ID)
			}
			st := &Stream{ID: id, CreatorID: in.CreatorID, Title: title, Status: StreamLive, StartedAt: tx.Now()}
			if err := tx.PutStream(ctx, st); err != nil {
				return nil, err
			}
			return &StreamView{Stream: *st, Totals: StreamTotals{Diamonds: "0"}, TopGifters: []Gifter{}}, nil
		})
		out, replay = r, rep
		return err
	})
	return out, replay, err
}

// EndStream ends a live stream. actor, when not empty, must be the creator.
// Errors: KindNotFound, KindConflict (stream_not_live).
func (s *Service) EndStream(ctx context.Context, idem Idem, id, actor string) (*StreamView, bool, error) {
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		_, rep, err := Once(ctx, tx, idem, func() (*Stream, error) {
			st, err := tx.Stream(ctx, id)
			if err != nil {
				return nil, AsNotFound(err, "stream", id)
			}
			if actor != "" && st.CreatorID != actor {
				return nil, Forbidden("only the creator can end stream %s", id)
			}
			if st.Status != StreamLive {
				return nil, Conflict("stream_not_live", map[string]any{"stream_id": id, "status": st.Status}, "stream %s has already ended", id)
			}
			cp := *st
			now := tx.Now()
			cp.Status, cp.EndedAt = StreamEnded, &now
			if err := tx.PutStream(ctx, &cp); err != nil {
				return nil, err
			}
			tx.AfterCommit(func() { s.publish(Event{StreamID: id, Type: "stream.ended", Data: cp}) })
			return &cp, nil
		})
		replay = rep
		return err
	})
	if err != nil {
		return nil, false, err
	}
	v, err := s.GetStream(ctx, id)
	return v, replay, err
}

// StreamView is a stream with its totals and top gifters.
type StreamView struct {
	Stream
	Totals     StreamTotals `json:"totals"`
	TopGifters []Gifter     `json:"top_gifters"`
}

// topGifters is how many gifters GetStream lists.
const topGifters = 10

// GetStream returns a stream with its totals and top gifters. Errors: KindNotFound.
func (s *Service) GetStream(ctx context.Context, id string) (*StreamView, error) {
	st, err := s.read.Stream(ctx, id)
	if err != nil {
		return nil, AsNotFound(err, "stream", id)
	}
	tot, err := s.read.StreamTotals(ctx, id)
	if err != nil {
		return nil, err
	}
	tot.Diamonds = money.FormatAsset(tot.Milli, money.Diamond)
	top, err := s.read.TopGifters(ctx, id, topGifters)
	if err != nil {
		return nil, err
	}
	if top == nil {
		top = []Gifter{}
	}
	return &StreamView{Stream: *st, Totals: tot, TopGifters: top}, nil
}

// Leaderboard returns the top gifters of a stream. Errors: KindNotFound.
func (s *Service) Leaderboard(ctx context.Context, id string, limit int) ([]Gifter, error) {
	if _, err := s.read.Stream(ctx, id); err != nil {
		return nil, AsNotFound(err, "stream", id)
	}
	top, err := s.read.TopGifters(ctx, id, limit)
	if top == nil {
		top = []Gifter{}
	}
	return top, err
}
