package economy

import (
	"fmt"
	"sort"
)

// MaxLevel is the highest gifter level: an economy file that defines levels
// lists one threshold for each of levels 1 to MaxLevel.
const MaxLevel = 50

// Levels are the gifter levels of the [levels] section: Thresholds[i] is the
// number of coins a viewer must have spent on gifts, in all, to be at level
// i+1. Thresholds[0] is 0 (everyone starts at level 1) and they never
// decrease. A file without the section has a single level: everyone is at
// level 1 and there is no next level.
type Levels struct {
	Thresholds []int64 `toml:"thresholds"`
}

// On reports whether the economy defines levels beyond level 1.
func (l Levels) On() bool { return len(l.Thresholds) > 1 }

// Level returns the level of a viewer who spent coins on gifts in all, and
// the cumulative coins at which the next level starts (next is 0 and more
// false at the top level, or when the economy defines no levels).
func (l Levels) Level(coins int64) (level int, next int64, more bool) {
	if !l.On() {
		return 1, 0, false
	}
	// The number of thresholds reached: a run of equal thresholds is
	// reached at once.
	level = sort.Search(len(l.Thresholds), func(i int) bool { return l.Thresholds[i] > coins })
	if level < 1 {
		level = 1 // a negative total (never stored) is still level 1
	}
	if level < len(l.Thresholds) {
		return level, l.Thresholds[level], true
	}
	return level, 0, false
}

// validate checks the [levels] section; the error is a *FieldError naming
// levels.thresholds or one of its elements.
func (l *Levels) validate() error {
	if len(l.Thresholds) == 0 {
		return nil
	}
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if len(l.Thresholds) != MaxLevel {
		return bad("levels.thresholds", "must list %d thresholds, one per level (level 1 first), got %d", MaxLevel, len(l.Thresholds))
	}
	if l.Thresholds[0] != 0 {
		return bad("levels.thresholds[0]", "must be 0: level 1 is where every viewer starts, got %d", l.Thresholds[0])
	}
	for i := 1; i < len(l.Thresholds); i++ {
		if l.Thresholds[i] < l.Thresholds[i-1] {
			return bad(fmt.Sprintf("levels.thresholds[%d]", i), "must not be below the threshold of the level before (%d), got %d", l.Thresholds[i-1], l.Thresholds[i])
		}
	}
	return nil
}
