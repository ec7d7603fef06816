package httpapi_test

import (
	"time"
)

// boardRows: leaderboards, gifter levels and stream goals. The harness
// clock starts on Sunday 2026-03-01 (ISO week 2026-W09); a row moves it to
// Monday 2026-03-02 (2026-W10).
func boardRows(h *harness) []row {
	gift := func(name, sender, idem, body, want string) row {
		return row{name: name, method: "POST", path: "/v1/streams/s1/gifts", as: "user:" + sender, idem: idem, body: body, status: 201, want: want}
	}
	goal := func(name, as, stream, body string, status int, code, want string) row {
		return row{name: name, method: "PUT", path: "/v1/streams/" + stream + "/goal", as: as, body: body, status: status, code: code, want: want}
	}
	return []row{
		gift("v1's roses", "v1", "b-1", `{"sender_id":"v1","gift_id":"rose","quantity":10}`, `{"coins":10,"sender_level":1}`),
		gift("v2's love bangs", "v2", "b-2", `{"sender_id":"v2","gift_id":"love-bang","quantity":2}`, `{"coins":50,"sender_level":1}`),
		gift("v1 reaches level 2", "v1", "b-3", `{"sender_id":"v1","gift_id":"sun-cream","quantity":2}`, `{"coins":100,"sender_level":2}`),

		{name: "c1's gifters today", method: "GET", path: "/v1/creators/c1/leaderboard?period=day", as: "user:v2", status: 200,
			want: `{"creator_id":"c1","period":"day","window":"2026-03-01","items":[{"user_id":"v1","coins":110,"gifts":2},{"user_id":"v2","coins":50,"gifts":1}]}`},
		{name: "c1's gifters this week", method: "GET", path: "/v1/creators/c1/leaderboard?period=week", as: "service", status: 200,
			want: `{"period":"week","window":"2026-W09","items":[{"user_id":"v1","coins":110},{"user_id":"v2","coins":50}]}`},
		{name: "c1's top gifter of all time", method: "GET", path: "/v1/creators/c1/leaderboard?period=all&limit=1", as: "user:c1", status: 200,
			want: `{"creator_id":"c1","period":"all","items":[{"user_id":"v1","coins":110,"gifts":2}]}`,
			after: func(h *harness, r *response) {
				if _, ok := r.json(h.t)["window"]; ok {
					h.t.Errorf("the all-time board has a window: %s", r.Body)
				}
			}},
		{name: "all time by default", method: "GET", path: "/v1/creators/c1/leaderboard", as: "user:v2", status: 200, want: `{"period":"all","items":[{"user_id":"v1"},{"user_id":"v2"}]}`},
		{name: "a creator without gifts", method: "GET", path: "/v1/creators/c2/leaderboard?period=day", as: "user:v2", status: 200, want: `{"creator_id":"c2","items":[]}`},
		{name: "a period that does not exist", method: "GET", path: "/v1/creators/c1/leaderboard?period=month", as: "user:v2", status: 400, code: "invalid_request"},
		{name: "creator leaderboard limit 0", method: "GET", path: "/v1/creators/c1/leaderboard?limit=0", as: "user:v2", status: 400, code: "invalid_request"},
		{name: "an unknown creator's leaderboard", method: "GET", path: "/v1/creators/ghost/leaderboard", as: "user:v2", status: 404, code: "user_not_found"},
		{name: "a creator leaderboard without credentials", method: "GET", path: "/v1/creators/c1/leaderboard", status: 401, code: "unauthorized"},

		{name: "creators this week", method: "GET", path: "/v1/leaderboards/creators", as: "user:v1", status: 200,
			want: `{"week":"2026-W09","items":[{"creator_id":"c1","diamonds":"80","gifts":3}]}`},
		{name: "Monday: a new day, a new week", before: func(h *harness) { h.clock.Advance(12 * time.Hour) },
			method: "GET", path: "/v1/creators/c1/leaderboard?period=week", as: "user:v2", status: 200, want: `{"window":"2026-W10","items":[]}`},
		gift("a rose on Monday", "v1", "b-4", `{"sender_id":"v1","gift_id":"rose","quantity":1}`, `{"coins":1,"sender_level":2}`),
		{name: "c1's gifters on Monday", method: "GET", path: "/v1/creators/c1/leaderboard?period=day", as: "user:v2", status: 200,
			want: `{"window":"2026-03-02","items":[{"user_id":"v1","coins":1,"gifts":1}]}`},
		{name: "c1's gifters of all time on Monday", method: "GET", path: "/v1/creators/c1/leaderboard?period=all", as: "user:v2", status: 200,
			want: `{"items":[{"user_id":"v1","coins":111,"gifts":3},{"user_id":"v2","coins":50,"gifts":1}]}`},
		{name: "creators of the current week", method: "GET", path: "/v1/leaderboards/creators?week=current", as: "user:v1", status: 200,
			want: `{"week":"2026-W10","items":[{"creator_id":"c1","diamonds":"0.5","gifts":1}]}`},
		{name: "creators of last week", method: "GET", path: "/v1/leaderboards/creators?week=2026-W09&limit=5", as: "service", status: 200,
			want: `{"week":"2026-W09","items":[{"creator_id":"c1","diamonds":"80","gifts":3}]}`},
		{name: "creators of a week without gifts", method: "GET", path: "/v1/leaderboards/creators?week=2025-W01", as: "service", status: 200, want: `{"week":"2025-W01","items":[]}`},
		{name: "a week that does not exist", method: "GET", path: "/v1/leaderboards/creators?week=2025-W53", as: "user:v1", status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"week"}}}`},
		{name: "a week written otherwise", method: "GET", path: "/v1/leaderboards/creators?week=2026-09", as: "user:v1", status: 400, code: "invalid_request"},
		{name: "creators limit 101", method: "GET", path: "/v1/leaderboards/creators?limit=101", as: "user:v1", status: 400, code: "invalid_request"},
		{name: "creators without credentials", method: "GET", path: "/v1/leaderboards/creators", status: 401, code: "unauthorized"},

		{name: "own level", method: "GET", path: "/v1/users/v1/level", as: "user:v1", status: 200, want: `{"user_id":"v1","level":2,"coins_spent":111,"next_level_at":300}`},
		{name: "a level as service", method: "GET", path: "/v1/users/v2/level", as: "service", status: 200, want: `{"user_id":"v2","level":1,"coins_spent":50,"next_level_at":100}`},
		{name: "the level of a user who never gifted", method: "GET", path: "/v1/users/kid/level", as: "service", status: 200, want: `{"level":1,"coins_spent":0,"next_level_at":100}`},
		{name: "another user's level", method: "GET", path: "/v1/users/v1/level", as: "user:v2", status: 403, code: "forbidden"},
		{name: "an unknown user's level", method: "GET", path: "/v1/users/ghost/level", as: "service", status: 404, code: "user_not_found"},

		{name: "no goal yet", method: "GET", path: "/v1/streams/s1/goal", as: "user:v2", status: 404, code: "goal_not_found"},
		{name: "the goal of an unknown stream", method: "GET", path: "/v1/streams/ghost/goal", as: "user:v2", status: 404, code: "stream_not_found"},
		goal("the creator sets a coins goal", "user:c1", "s1", `{"kind":"coins","target":100}`, 200, "",
			`{"stream_id":"s1","kind":"coins","target":100,"progress":0,"reached":false,"updated_at":"2026-03-02T00:00:00Z"}`),
		goal("a viewer sets the goal", "user:v1", "s1", `{"kind":"coins","target":1}`, 403, "forbidden", ""),
		goal("another creator sets the goal", "user:c2", "s1", `{"kind":"coins","target":1}`, 403, "forbidden", ""),
		goal("a goal of an unknown kind", "user:c1", "s1", `{"kind":"hearts","target":10}`, 400, "invalid_request", ""),
		goal("a target of 0", "user:c1", "s1", `{"kind":"coins","target":0}`, 400, "invalid_request", ""),
		goal("a gift goal without its gift", "user:c1", "s1", `{"kind":"gift","target":10}`, 400, "invalid_request", `{"error":{"details":{"field":"gift_id"}}}`),
		goal("a coins goal with a gift", "user:c1", "s1", `{"kind":"coins","target":10,"gift_id":"rose"}`, 400, "invalid_request", `{"error":{"details":{"field":"gift_id"}}}`),
		goal("a goal of an unknown gift", "user:c1", "s1", `{"kind":"gift","target":10,"gift_id":"unicorn"}`, 404, "gift_not_found", ""),
		goal("a goal on an ended stream", "service", "s-old", `{"kind":"coins","target":10}`, 422, "stream_not_live", ""),
		goal("a goal on an unknown stream", "service", "ghost", `{"kind":"coins","target":10}`, 404, "stream_not_found", ""),
		goal("a goal without credentials", "", "s1", `{"kind":"coins","target":10}`, 401, "unauthorized", ""),
		gift("a rose moves the goal", "v1", "b-5", `{"sender_id":"v1","gift_id":"rose","quantity":5}`, `{"coins":5}`),
		{name: "viewers see the goal", method: "GET", path: "/v1/streams/s1/goal", as: "user:v2", status: 200, want: `{"kind":"coins","target":100,"progress":5,"reached":false}`},
		goal("a gift goal replaces it", "service", "s1", `{"kind":"gift","gift_id":"ROSE","target":3}`, 200, "", `{"kind":"gift","gift_id":"rose","target":3,"progress":0}`),
		gift("three roses reach it", "v1", "b-6", `{"sender_id":"v1","gift_id":"rose","quantity":3}`, `{"coins":3}`),
		{name: "a gift that is not the goal's", method: "POST", path: "/v1/streams/s1/gifts", as: "user:v2", idem: "b-7", body: `{"sender_id":"v2","gift_id":"lollipop","quantity":1}`, status: 201},
		{name: "the goal is reached", method: "GET", path: "/v1/streams/s1/goal", as: "user:c2", status: 200, want: `{"gift_id":"rose","target":3,"progress":3,"reached":true}`},
		{name: "a higher target keeps the progress", method: "PUT", path: "/v1/streams/s1/goal", as: "user:c1", idem: "goal-up", body: `{"kind":"gift","gift_id":"rose","target":10}`, status: 200,
			want: `{"target":10,"progress":3,"reached":false}`,
			after: func(h *harness, r *response) {
				again := h.must(200, "PUT", "/v1/streams/s1/goal", "user:c1", `{"kind":"gift","gift_id":"rose","target":10}`, "Idempotency-Key", "goal-up")
				if string(again.Body) != string(r.Body) {
					h.t.Errorf("replayed goal answered %s, first %s", again.Body, r.Body)
				}
			}},
		{name: "the same key for another goal", method: "PUT", path: "/v1/streams/s1/goal", as: "user:c1", idem: "goal-up", body: `{"kind":"coins","target":10}`, status: 409, code: "idempotency_conflict"},
	}
}
