package gifting

import (
	"context"
	"errors"
	"strings"

	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/ledger"
)

// Catalog returns the current gift catalog (active and retired gifts).
func (s *Service) Catalog(ctx context.Context) ([]CatalogGift, error) {
	return s.read.Catalog(ctx)
}

// SyncCatalog adds to the database catalog every gift of the economy file it
// does not hold yet, each as a new catalog version. Gifts already in the
// database are managed through the admin API and left alone.
func (s *Service) SyncCatalog(ctx context.Context) (added int, err error) {
	err = s.write(ctx, func(tx Tx) error {
		added = 0
		for _, g := range s.econ.Gifts {
			_, err := tx.CatalogGift(ctx, g.ID)
			if err == nil {
				continue
			}
			if !errors.Is(err, ledger.ErrNotFound) {
				return err
			}
			cg := &CatalogGift{ID: g.ID, Name: g.Name, Coins: g.Coins, Streakable: g.Streakable, Active: true}
			if g.DiamondRate != nil {
				cg.DiamondRate = g.DiamondRate.String()
			}
			if _, err := tx.PutCatalogGift(ctx, cg, "economy:"+s.econ.Name); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	return added, err
}

// PutGiftInput creates or changes a gift of the catalog.
type PutGiftInput struct {
	ID          string
	Name        string
	Coins       int64
	Streakable  bool
	DiamondRate string // empty: the economy's default rate
	Actor       string
}

// PutGift creates or changes a gift; every change is a new catalog version,
// and gifts already sent keep the price they were sent at. Errors: KindInvalid.
func (s *Service) PutGift(ctx context.Context, idem Idem, in PutGiftInput) (*CatalogGift, bool, error) {
	in.ID = strings.ToLower(in.ID)
	probe := economy.Gift{ID: in.ID, Name: in.Name, Coins: in.Coins}
	if err := checkGift(probe, in.DiamondRate); err != nil {
		return nil, false, err
	}
	return s.changeGift(ctx, idem, in.ID, in.Actor, func(old *CatalogGift) (*CatalogGift, error) {
		g := &CatalogGift{ID: in.ID, Name: in.Name, Coins: in.Coins, Streakable: in.Streakable, DiamondRate: in.DiamondRate, Active: true}
		if old != nil {
			g.Active = old.Active
		}
		return g, nil
	})
}

// SetGiftActive retires (active=false) or restores a gift. Errors: KindNotFound.
func (s *Service) SetGiftActive(ctx context.Context, idem Idem, id string, active bool, actor string) (*CatalogGift, bool, error) {
	return s.changeGift(ctx, idem, strings.ToLower(id), actor, func(old *CatalogGift) (*CatalogGift, error) {
		if old == nil {
			return nil, NotFound("gift", id)
		}
		g := *old
		g.Active = active
		return &g, nil
	})
}

func (s *Service) changeGift(ctx context.Context, idem Idem, id, actor string, change func(old *CatalogGift) (*CatalogGift, error)) (*CatalogGift, bool, error) {
	var out *CatalogGift
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		r, rep, err := Once(ctx, tx, idem, func() (*CatalogGift, error) {
			old, err := tx.CatalogGift(ctx, id)
			if errors.Is(err, ledger.ErrNotFound) {
				old, err = nil, nil
			}
			if err != nil {
				return nil, err
			}
			g, err := change(old)
			if err != nil {
				return nil, err
			}
			if old != nil && *old == (CatalogGift{ID: g.ID, Name: g.Name, Coins: g.Coins, Streakable: g.Streakable, DiamondRate: g.DiamondRate, Active: g.Active, Version: old.Version}) {
				return old, nil // nothing changed: no new version
			}
			v, err := tx.PutCatalogGift(ctx, g, actor)
			if err != nil {
				return nil, err
			}
			g.Version = v
			return g, nil
		})
		out, replay = r, rep
		return err
	})
	return out, replay, err
}

// checkGift checks an admin edit of a gift with the economy file's own rule
// for gifts, plus the display-name rule for what people see.
func checkGift(g economy.Gift, rate string) error {
	if rate != "" {
		r, err := decimal.Parse(rate)
		if err != nil {
			return InvalidField("diamond_rate", "diamond_rate must be a positive decimal with at most 3 places, e.g. \"0.5\"")
		}
		g.DiamondRate = &r
	}
	if fe := economy.CheckGift(g); fe != nil {
		field := fe.Field
		if field == "id" {
			field = "gift_id"
		}
		return InvalidField(field, "%s %s", field, fe.Message)
	}
	if err := CheckDisplayName(g.Name); err != nil {
		return InvalidField("name", "name must be 1–64 printable characters")
	}
	return nil
}
