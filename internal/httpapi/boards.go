package httpapi

import (
	"context"
	"net/http"

	"github.com/glint-economy/glint/internal/gifting"
)

// boardRoutes registers the leaderboards, gifter levels and stream goals.
func (s *Server) boardRoutes() {
	register(s, op("get-creator-leaderboard", http.MethodGet, "/v1/creators/{user_id}/leaderboard", "A creator's top gifters today, this ISO week or of all time (UTC)", true, "leaderboards"), s.creatorLeaderboard)
	register(s, op("get-top-creators", http.MethodGet, "/v1/leaderboards/creators", "The creators who received the most diamonds in an ISO week (UTC)", true, "leaderboards"), s.topCreators)
	register(s, op("get-user-level", http.MethodGet, "/v1/users/{user_id}/level", "A viewer's gifter level, from the coins spent on gifts", true, "users"), s.userLevel)
	register(s, op("put-stream-goal", http.MethodPut, "/v1/streams/{stream_id}/goal", "Set a live stream's goal", true, "streams"), s.putGoal)
	register(s, op("get-stream-goal", http.MethodGet, "/v1/streams/{stream_id}/goal", "A stream's goal and its progress", true, "streams"), s.getGoal)
}

type creatorLeaderboardInput struct {
	UserPath
	Period string `query:"period" enum:"day,week,all" default:"all" doc:"day: today (UTC); week: this ISO week (UTC); all: all time"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"10"`
}

type creatorBoardOutput struct {
	Body *gifting.CreatorBoard
}

// creatorLeaderboard is open to any authenticated caller, like a stream's
// leaderboard.
func (s *Server) creatorLeaderboard(ctx context.Context, in *creatorLeaderboardInput) (*creatorBoardOutput, error) {
	v, err := s.svc.CreatorLeaderboard(ctx, in.UserID, in.Period, in.Limit)
	if err != nil {
		return nil, err
	}
	return &creatorBoardOutput{Body: v}, nil
}

type topCreatorsInput struct {
	Week  string `query:"week" default:"current" maxLength:"16" doc:"current, or an ISO week such as 2026-W48"`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"10"`
}

type creatorsBoardOutput struct {
	Body *gifting.CreatorsBoard
}

// topCreators is open to any authenticated caller.
func (s *Server) topCreators(ctx context.Context, in *topCreatorsInput) (*creatorsBoardOutput, error) {
	v, err := s.svc.TopCreators(ctx, in.Week, in.Limit)
	if err != nil {
		return nil, err
	}
	return &creatorsBoardOutput{Body: v}, nil
}

type levelOutput struct {
	Body *gifting.LevelView
}

// userLevel answers the user, or a service key (the platform shows others'
// badges; a viewer's spending is their own, like their wallet).
func (s *Server) userLevel(ctx context.Context, in *UserPath) (*levelOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	v, err := s.svc.Level(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	return &levelOutput{Body: v}, nil
}

type putGoalInput struct {
	StreamPath
	IdemHeader
	Body struct {
		Kind   string `json:"kind" enum:"coins,gift" doc:"coins: coins received in gifts; gift: how many of gift_id were received"`
		Target int64  `json:"target" minimum:"1" doc:"Coins, or gifts of gift_id"`
		GiftID string `json:"gift_id,omitempty" maxLength:"64" doc:"The gift a gift goal counts; not with a coins goal"`
	}
}

type goalOutput struct {
	Body *gifting.GoalView
}

// putGoal: the stream's creator, or a service key.
func (s *Server) putGoal(ctx context.Context, in *putGoalInput) (*goalOutput, error) {
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPut, "/v1/streams/"+in.StreamID+"/goal", in.Body)
	if err != nil {
		return nil, err
	}
	actor := ""
	if p := principal(ctx); !p.IsService() {
		actor = p.UserID
	}
	v, _, err := s.svc.SetGoal(ctx, id, gifting.SetGoalInput{StreamID: in.StreamID, Kind: in.Body.Kind, Target: in.Body.Target, GiftID: in.Body.GiftID, Actor: actor})
	if err != nil {
		return nil, err
	}
	return &goalOutput{Body: v}, nil
}

// getGoal is open to any authenticated caller, like the stream.
func (s *Server) getGoal(ctx context.Context, in *StreamPath) (*goalOutput, error) {
	v, err := s.svc.GetGoal(ctx, in.StreamID)
	if err != nil {
		return nil, err
	}
	return &goalOutput{Body: v}, nil
}
