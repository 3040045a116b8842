package lru

import "testing"

func TestBoundsAndOrder(t *testing.T) {
	c := New[string, int](3, 10)
	var evicted []string
	c.OnEvict = func(k string, _ int) { evicted = append(evicted, k) }
	c.Add("a", 1, 2)
	c.Add("b", 2, 2)
	c.Add("c", 3, 2)
	c.Get("a") // a is now the most recent: b goes first
	c.Add("d", 4, 2)
	if _, ok := c.Get("b"); ok || c.Len() != 3 {
		t.Fatalf("b kept or len %d; evicted %v", c.Len(), evicted)
	}
	c.Add("e", 5, 9) // over the byte bound with the others: they go, oldest first
	if c.Bytes() > 10 || c.Len() != 1 {
		t.Fatalf("bytes %d len %d", c.Bytes(), c.Len())
	}
	want := []string{"b", "c", "a", "d"}
	if len(evicted) != len(want) {
		t.Fatalf("evicted %v, want %v", evicted, want)
	}
	for i := range want {
		if evicted[i] != want[i] {
			t.Fatalf("evicted %v, want %v", evicted, want)
		}
	}
	c.Add("huge", 6, 11) // larger than the whole budget: not kept
	if _, ok := c.Get("huge"); ok {
		t.Fatal("an entry over the byte bound was kept")
	}
	c.Add("e", 7, 1) // replacing an entry counts its new size only
	if c.Bytes() != 1 {
		t.Fatalf("bytes %d after replacing", c.Bytes())
	}
	c.RemoveIf(func(k string, _ int) bool { return k == "e" })
	if c.Len() != 0 || c.Bytes() != 0 {
		t.Fatalf("len %d bytes %d after RemoveIf", c.Len(), c.Bytes())
	}
}
