package sandbox

// stsState holds authorization codes, device codes and refresh tokens.
type stsState struct{}

func newSTSState() *stsState { return &stsState{} }

// routeLogin registers the identity platform endpoints on s.loginMux.
func (s *Server) routeLogin() {}
