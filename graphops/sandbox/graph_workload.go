package sandbox

// routeWorkload registers users, groups, mail, calendar and reports on s.graphMux.
func (s *Server) routeWorkload() {}
