package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/gifting"
)

// seedDemo fills a database with a few live creators and viewers with
// coins, and prints an admin key, a user token and curl lines to try.
func seedDemo(ctx context.Context, a *app, addr string, out io.Writer) error {
	creators := []struct{ id, name, country string }{{"c1", "Ava Sings", "US"}, {"c2", "Luca Cooks", "IT"}, {"c3", "Mina Draws", "GB"}}
	viewers := []struct{ id, name, country string }{{"v1", "Viewer One", "US"}, {"v2", "Viewer Two", "DE"}, {"v3", "Viewer Three", "BR"}}
	for _, u := range append(creators, viewers...) {
		if _, _, err := a.svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: u.id, DisplayName: u.name, Country: u.country, AgeVerified: true}); err != nil {
			return err
		}
	}
	for _, c := range creators {
		_, _, err := a.svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "live-" + c.id, CreatorID: c.id, Title: c.name + " live"})
		if err != nil && !gifting.IsKind(err, gifting.KindConflict) {
			return err
		}
	}
	pkg := a.svc.Economy().Packages[0].Packages()
	biggest := pkg[len(pkg)-1]
	for _, v := range viewers {
		key := gifting.Idem{Key: "demo|" + v.id, Hash: "demo"}
		if _, _, err := a.svc.Purchase(ctx, key, gifting.PurchaseInput{UserID: v.id, PackageID: biggest.ID, Provider: "sandbox"}); err != nil {
			return err
		}
	}
	secret, k, err := auth.NewAPIKey(auth.ScopeAdmin, "demo", time.Now())
	if err != nil {
		return err
	}
	if err := a.db.CreateAPIKey(ctx, k); err != nil {
		return err
	}
	tok, _, err := a.auth.MintUserToken("v1", 24*time.Hour)
	if err != nil {
		return err
	}
	base := "http://" + addr
	fmt.Fprintf(out, `glint demo: creators c1 c2 c3 are live (streams live-c1 …), viewers v1 v2 v3 hold %d coins each.

  admin key:          %s
  user token (v1):    %s

Try:
  curl -s %s/v1/users/v1/wallet -H 'Authorization: Bearer %s'
  curl -s -X POST %s/v1/streams/live-c1/gifts -H 'Authorization: Bearer %s' -H 'Idempotency-Key: demo-1' \
       -H 'Content-Type: application/json' -d '{"sender_id":"v1","gift_id":"rose","quantity":10,"combo_id":"demo-combo"}'
  curl -s %s/v1/streams/live-c1 -H 'Authorization: Bearer %s'
  curl -s %s/v1/users/c1/wallet -H 'Authorization: Bearer %s'
  curl -s '%s/v1/quote?amount=1000&unit=diamonds&currency=EUR'
  open %s/docs

`, biggest.Coins, secret, tok, base, tok, base, tok, base, tok, base, secret, base, base)
	return startDemoViewers(ctx, a, addr, out)
}
