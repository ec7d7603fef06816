package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/glint-economy/glint/internal/gifting"
)

// Simulated viewers of `glint serve --demo`: they send gifts to the demo
// streams about once a second — combos of small gifts, now and then a big
// one — so the pages (viewer room, dashboard, overlay) have something to
// show. They buy coins with the sandbox provider when they run out.
var demoSims = []struct{ id, name, country string }{
	{"sim-nova", "Nova", "US"}, {"sim-kai", "Kai", "DE"}, {"sim-rin", "Rin", "GB"},
	{"sim-jules", "Jules", "FR"}, {"sim-sasha", "Sasha", "BR"},
}

// demoEvery is how often a simulated viewer acts.
const demoEvery = time.Second

// startDemoViewers creates the simulated viewers, starts them (they stop
// when the server closes, before the writer), and prints the pages' URLs
// with sign-in links for creator c1 and viewer v1.
func startDemoViewers(ctx context.Context, a *app, addr string, out io.Writer) error {
	for _, u := range demoSims {
		if _, _, err := a.svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: u.id, DisplayName: u.name, Country: u.country, AgeVerified: true}); err != nil {
			return err
		}
	}
	run, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		simulateViewers(run, a.svc, a.log)
	}()
	a.closers = append(a.closers, func() { cancel(); <-done })

	creator, _, err := a.auth.MintUserToken("c1", 24*time.Hour)
	if err != nil {
		return err
	}
	viewer, _, err := a.auth.MintUserToken("v1", 24*time.Hour)
	if err != nil {
		return err
	}
	base := "http://" + addr
	link := func(next, tok string) string {
		return base + "/login?next=" + url.QueryEscape(next) + "#token=" + tok
	}
	fmt.Fprintf(out, `Pages (docs/WEB.md) — simulated viewers gift on live-c1, live-c2 and live-c3 every second:
  viewer room, signed in as v1:        %s
  creator dashboard, signed in as c1:  %s
  stream overlay for OBS:              copy it from the dashboard (it carries c1's overlay key)
  admin console:                       %s/login (paste the admin key above)

`, link("/live/live-c1", viewer), link("/creator?stream=live-c1", creator), base)
	return nil
}

// simState is what one simulated viewer is doing: a streak in progress.
type simState struct {
	stream, gift, combo string
	left                int
}

// simulateViewers runs until ctx ends.
func simulateViewers(ctx context.Context, svc *gifting.Service, log *slog.Logger) {
	streams := []string{"live-c1", "live-c2", "live-c3"}
	ended := map[string]bool{}
	small := []string{"rose", "finger-heart", "panda", "hand-wave", "lollipop", "love-bang", "gg", "ice-cream-cone"}
	big := []string{"sun-cream", "rainbow-puke", "concert", "galaxy"}
	state := make([]simState, len(demoSims))
	pkgs := svc.Economy().Packages[0].Packages()
	biggest := pkgs[len(pkgs)-1].ID
	t := time.NewTicker(demoEvery)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		i := rand.IntN(len(demoSims))
		sim, st := demoSims[i], &state[i]
		if st.left == 0 {
			var live []string
			for _, s := range streams {
				if !ended[s] {
					live = append(live, s)
				}
			}
			if len(live) == 0 {
				return // every demo stream has ended
			}
			st.stream = live[rand.IntN(len(live))]
			if rand.IntN(10) == 0 {
				st.gift, st.combo, st.left = big[rand.IntN(len(big))], "", 1
			} else {
				st.gift, st.combo, st.left = small[rand.IntN(len(small))], fmt.Sprintf("%s-%d", sim.id, n), 2+rand.IntN(7)
			}
		}
		st.left--
		_, _, err := svc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: st.stream, SenderID: sim.id, GiftID: st.gift, Quantity: 1, ComboID: st.combo})
		var ge *gifting.Error
		switch {
		case err == nil || ctx.Err() != nil:
		case errors.As(err, &ge) && ge.Code == "insufficient_funds":
			st.left = 0
			if _, _, err := svc.Purchase(ctx, gifting.Idem{}, gifting.PurchaseInput{UserID: sim.id, PackageID: biggest, Provider: "sandbox"}); err != nil && ctx.Err() == nil {
				log.Warn("demo: a simulated viewer could not buy coins", "user_id", sim.id, "err", err)
			}
		case errors.As(err, &ge) && ge.Code == "stream_not_live":
			st.left = 0
			ended[st.stream] = true
		default:
			st.left = 0
			log.Debug("demo: a simulated gift was refused", "user_id", sim.id, "gift_id", st.gift, "err", err)
		}
	}
}
