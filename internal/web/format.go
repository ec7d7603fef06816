package web

import (
	"context"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
)

// groupInt writes 17500 as "17,500".
func groupInt(n int64) string { return groupDecimal(strconv.FormatInt(n, 10)) }

// groupDecimal groups the integer part of a decimal string: "20000.5" →
// "20,000.5". The value is written as given, never through a float.
func groupDecimal(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

// formatAmount writes an amount of money: "46.43 EUR".
func formatAmount(a economy.Amount) string {
	if a.Currency == "" {
		return groupDecimal(a.Value)
	}
	return groupDecimal(a.Value) + " " + string(a.Currency)
}

// giftIcon is the one or two letters a gift's badge shows ("Rose" → "R",
// "Ice Cream Cone" → "IC"): pictures need no image or emoji font.
func giftIcon(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		r := []rune(w)[0]
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, unicode.ToUpper(r))
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// hues is how many badge colours app.css defines (.h0 … .h11).
const hues = 12

// hueOf is a stable colour class number for an id, for badges and avatars
// (a class, not a style attribute: the pages' CSP allows no inline style).
func hueOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % hues)
}

// nameCache remembers users' display names for a few minutes, so the live
// feed can name senders without reading the database for every gift.
type nameCache struct {
	svc *gifting.Service
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cachedName
}

type cachedName struct {
	name    string
	expires time.Time
}

const (
	nameTTL      = 5 * time.Minute
	maxNameCache = 10000
)

func newNameCache(svc *gifting.Service, now func() time.Time) *nameCache {
	return &nameCache{svc: svc, now: now, m: map[string]cachedName{}}
}

// get returns a user's display name, or the id when the user is unknown.
func (c *nameCache) get(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.name
	}
	name := id
	if u, err := c.svc.GetUser(ctx, id); err == nil && u.DisplayName != "" {
		name = u.DisplayName
	}
	c.mu.Lock()
	if len(c.m) >= maxNameCache {
		c.m = map[string]cachedName{}
	}
	c.m[id] = cachedName{name: name, expires: now.Add(nameTTL)}
	c.mu.Unlock()
	return name
}

// gifter is a leaderboard line with the gifter's name.
type gifter struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Coins  int64  `json:"coins"`
	Gifts  int64  `json:"gifts"`
	Rank   int    `json:"rank"`
}

func (c *nameCache) gifters(ctx context.Context, gs []gifting.Gifter) []gifter {
	out := make([]gifter, 0, len(gs))
	for i, g := range gs {
		out = append(out, gifter{UserID: g.UserID, Name: c.get(ctx, g.UserID), Coins: g.Coins, Gifts: g.Gifts, Rank: i + 1})
	}
	return out
}
