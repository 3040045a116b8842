package gateway

// admit takes one of the gateway's ingest slots without waiting: a flood is
// answered at once instead of queueing goroutines behind a slow Temporal.
func (s *Server) admit() (release func(), ok bool) {
	select {
	case s.starting <- struct{}{}:
		return func() { <-s.starting }, true
	default:
		return nil, false
	}
}
