package economy

import (
	"errors"
	"strings"
	"testing"
)

// seedThresholds is the thresholds line of the seed preset, as written.
const seedThresholds = `thresholds = [
  0, 100, 300, 600, 1000, 1500, 2100, 2800, 3600, 4500,
  5500, 6600, 8000, 9700, 12000, 14000, 17000, 21000, 25000, 31000,
  37000, 45000, 55000, 67000, 81000, 98000, 120000, 140000, 170000, 210000,
  260000, 310000, 380000, 460000, 560000, 670000, 820000, 990000, 1200000, 1500000,
  1800000, 2100000, 2600000, 3100000, 3800000, 4600000, 5600000, 6800000, 8200000, 10000000,
]`

func TestSeedLevels(t *testing.T) {
	t.Parallel()
	l := Seed().Levels
	if len(l.Thresholds) != MaxLevel || !l.On() {
		t.Fatalf("seed has %d thresholds, want %d", len(l.Thresholds), MaxLevel)
	}
	tests := []struct {
		coins, next int64
		level       int
		more        bool
	}{
		{0, 100, 1, true},
		{99, 100, 1, true},
		{100, 300, 2, true},
		{1011, 1500, 5, true},
		{9_999_999, 10_000_000, 49, true},
		{10_000_000, 0, 50, false},
		{1 << 62, 0, 50, false},
	}
	for _, tt := range tests {
		level, next, more := l.Level(tt.coins)
		if level != tt.level || next != tt.next || more != tt.more {
			t.Errorf("Level(%d) = %d, %d, %v; want %d, %d, %v", tt.coins, level, next, more, tt.level, tt.next, tt.more)
		}
	}
}

func TestLevelsEqualThresholds(t *testing.T) {
	t.Parallel()
	th := make([]int64, MaxLevel)
	for i := range th {
		th[i] = int64(i/2) * 10 // 0, 0, 10, 10, 20, 20 …
	}
	l := Levels{Thresholds: th}
	if err := l.validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		coins, next int64
		level       int
	}{{0, 10, 2}, {9, 10, 2}, {10, 20, 4}, {240, 0, 50}} {
		level, next, _ := l.Level(tt.coins)
		if level != tt.level || next != tt.next {
			t.Errorf("Level(%d) = %d, %d; want %d, %d", tt.coins, level, next, tt.level, tt.next)
		}
	}
	if level, next, more := (Levels{}).Level(1 << 40); level != 1 || next != 0 || more {
		t.Errorf("without levels: %d, %d, %v; want level 1 and no next", level, next, more)
	}
}

// TestLevelsErrors checks that a bad [levels] section is refused with a
// *FieldError naming the field and its line.
func TestLevelsErrors(t *testing.T) {
	t.Parallel()
	seed := string(SeedFile())
	if !strings.Contains(seed, seedThresholds) {
		t.Fatal("the seed's thresholds are not written as this test expects")
	}
	tests := []struct {
		name, with, field, msg string
	}{
		{"too few", "thresholds = [0, 100, 300]", "levels.thresholds", "must list 50 thresholds, one per level (level 1 first), got 3"},
		{"not from 0", strings.Replace(seedThresholds, "  0, 100,", "  5, 100,", 1), "levels.thresholds[0]", "must be 0: level 1 is where every viewer starts, got 5"},
		{"decreasing", strings.Replace(seedThresholds, "2800, 3600", "2800, 2700", 1), "levels.thresholds[8]", "must not be below the threshold of the level before (2800), got 2700"},
		{"not integers", strings.Replace(seedThresholds, "100,", `"100",`, 1), "", ""}, // the decoder names the line, not the element
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(strings.Replace(seed, seedThresholds, tt.with, 1)))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error = %v, want a *FieldError", err)
			}
			if !strings.HasPrefix(fe.Field, "levels.thresholds") || (tt.field != "" && fe.Field != tt.field) || fe.Line == 0 {
				t.Errorf("field %q line %d, want %q with its line: %v", fe.Field, fe.Line, tt.field, err)
			}
			if tt.msg != "" && fe.Message != tt.msg {
				t.Errorf("message %q, want %q", fe.Message, tt.msg)
			}
		})
	}
	// Leaving the section out is one level for everyone.
	start := strings.Index(seed, "[levels]")
	end := strings.Index(seed, "[review]")
	e, err := Parse([]byte(seed[:start] + seed[end:]))
	if err != nil {
		t.Fatal(err)
	}
	if e.Levels.On() {
		t.Errorf("without [levels]: %+v, want levels off", e.Levels)
	}
}
