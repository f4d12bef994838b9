package sandbox

// routeDirectory registers the directory APIs (applications, servicePrincipals,
// appRoleAssignedTo, policies, organization, domains, me) on s.graphMux.
func (s *Server) routeDirectory() {}
