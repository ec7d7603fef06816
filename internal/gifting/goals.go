package gifting

import (
	"context"
	"strings"
	"time"
)

// Goal kinds.
const (
	GoalCoins = "coins" // coins received in gifts
	GoalGift  = "gift"  // how many of one gift were received
)

// StreamGoal is a stream's goal as stored. Version changes when the goal is
// replaced by one of another kind or gift: its progress starts again from 0.
// Progress counts the gifts sent since the goal was set.
type StreamGoal struct {
	StreamID  string
	Version   int64
	Kind      string
	GiftID    string // GoalGift only
	Target    int64
	Progress  int64
	UpdatedAt time.Time
}

// moveBy returns how much a sent gift moves the goal: its coins, or its
// quantity when it is the goal's gift; 0 when it does not count.
func (g *StreamGoal) moveBy(rec *GiftRecord) int64 {
	switch {
	case g.Kind == GoalCoins:
		return rec.Coins
	case g.Kind == GoalGift && rec.GiftID == g.GiftID:
		return rec.Quantity
	}
	return 0
}

// GoalView is a stream's goal as the API answers it and as the "goal"
// event carries it.
type GoalView struct {
	StreamID  string    `json:"stream_id"`
	Kind      string    `json:"kind" enum:"coins,gift"`
	GiftID    string    `json:"gift_id,omitempty" doc:"The gift a gift goal counts"`
	Target    int64     `json:"target" doc:"Coins (a coins goal) or gifts of gift_id (a gift goal)"`
	Progress  int64     `json:"progress" doc:"Coins or gifts received since the goal was set; it may pass the target"`
	Reached   bool      `json:"reached"`
	UpdatedAt time.Time `json:"updated_at" doc:"When the goal was last set"`
}

func (g *StreamGoal) view() *GoalView {
	return &GoalView{StreamID: g.StreamID, Kind: g.Kind, GiftID: g.GiftID, Target: g.Target, Progress: g.Progress,
		Reached: g.Progress >= g.Target, UpdatedAt: g.UpdatedAt}
}

// SetGoalInput sets a stream's goal.
type SetGoalInput struct {
	StreamID string
	Kind     string
	Target   int64
	GiftID   string
	// Actor, when not empty, must be the stream's creator.
	Actor string
}

// SetGoal sets the goal of a live stream. A goal of the same kind (and
// gift) keeps its progress and takes the new target; another kind or gift
// replaces it and counts from 0. Errors: KindInvalid, KindNotFound (stream,
// gift), KindForbidden (not the creator), KindRule (stream_not_live,
// gift_retired).
func (s *Service) SetGoal(ctx context.Context, idem Idem, in SetGoalInput) (*GoalView, bool, error) {
	switch in.Kind {
	case GoalCoins:
		if in.GiftID != "" {
			return nil, false, InvalidField("gift_id", "a coins goal counts every gift: leave gift_id out")
		}
	case GoalGift:
		if in.GiftID == "" {
			return nil, false, InvalidField("gift_id", "a gift goal needs the gift_id it counts")
		}
	default:
		return nil, false, InvalidField("kind", "kind must be coins or gift")
	}
	if in.Target < 1 {
		return nil, false, InvalidField("target", "target must be at least 1")
	}
	var out *GoalView
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		r, rep, err := Once(ctx, tx, idem, func() (*GoalView, error) {
			st, err := tx.Stream(ctx, in.StreamID)
			if err != nil {
				return nil, AsNotFound(err, "stream", in.StreamID)
			}
			if in.Actor != "" && st.CreatorID != in.Actor {
				return nil, Forbidden("only the creator can set the goal of stream %s", st.ID)
			}
			if st.Status != StreamLive {
				return nil, Rule("stream_not_live", map[string]any{"stream_id": st.ID, "status": st.Status}, "stream %s is not live (%s)", st.ID, st.Status)
			}
			giftID := ""
			if in.Kind == GoalGift {
				g, err := tx.CatalogGift(ctx, strings.ToLower(in.GiftID))
				if err != nil {
					return nil, AsNotFound(err, "gift", in.GiftID)
				}
				if !g.Active {
					return nil, Rule("gift_retired", map[string]any{"gift_id": g.ID}, "gift %s is retired", g.ID)
				}
				giftID = g.ID
			}
			cur, err := tx.StreamGoal(ctx, st.ID)
			if err != nil {
				return nil, err
			}
			g := &StreamGoal{StreamID: st.ID, Version: 1, Kind: in.Kind, GiftID: giftID, Target: in.Target, UpdatedAt: tx.Now()}
			if cur != nil {
				g.Version = cur.Version + 1
				if cur.Kind == g.Kind && cur.GiftID == g.GiftID {
					g.Version, g.Progress = cur.Version, cur.Progress
				}
			}
			if err := tx.PutStreamGoal(ctx, g); err != nil {
				return nil, err
			}
			v := g.view()
			tx.AfterCommit(func() { s.publish(Event{StreamID: st.ID, Type: "goal", Data: v}) })
			return v, nil
		})
		out, replay = r, rep
		return err
	})
	return out, replay, err
}

// GetGoal returns a stream's goal. Errors: KindNotFound (stream, goal).
func (s *Service) GetGoal(ctx context.Context, streamID string) (*GoalView, error) {
	if _, err := s.read.Stream(ctx, streamID); err != nil {
		return nil, AsNotFound(err, "stream", streamID)
	}
	g, err := s.read.StreamGoal(ctx, streamID)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, NotFound("goal", streamID)
	}
	return g.view(), nil
}
