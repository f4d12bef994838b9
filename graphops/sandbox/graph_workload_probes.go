package sandbox

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// The cheap read probes other integration guides' "Test Settings" use:
// GET /auditLogs/directoryAudits?$top=1 (AuditLog.Read.All; directoryaudit-list.md)
// GET /sites/root (Sites.Read.All; site-get.md) and GET /sites/root/drive, the
// root site's document library (Files.Read.All or Sites.Read.All; drive-get.md).

// wlAuditReaderRoles are the roles a signed-in user needs to read audit logs
// (directoryaudit-list.md: Reports Reader, Security Reader, Security
// Administrator, Global Reader; Global Administrator also reads them).
var wlAuditReaderRoles = []string{
	RoleGlobalAdministrator,
	"4a5d8f65-41da-4de4-8968-e035b65339cf", // Reports Reader
	"5d6b6bb7-de71-4623-b4af-96380a352509", // Security Reader
	"194ae4cb-b126-40b2-bd5b-6091b380977d", // Security Administrator
	"f2ef992c-3afb-46b9-b7cf-a126ee74c451", // Global Reader
}

// wlDirectoryAudits synthesises the audit trail of the objects the tenant holds:
// one "Add application" / "Add service principal" / "Add group" entry each.
func wlDirectoryAudits(t *Tenant) []map[string]any {
	var initiator map[string]any
	for _, u := range t.Users {
		if u.HasRole(RoleGlobalAdministrator) {
			initiator = map[string]any{"app": nil, "user": map[string]any{"id": u.ID, "displayName": nil,
				"userPrincipalName": u.UserPrincipalName, "ipAddress": "", "userType": nil,
				"homeTenantId": nil, "homeTenantName": nil}}
			break
		}
	}
	entry := func(kind, activity, category, id, name, typ string, at time.Time) map[string]any {
		return map[string]any{
			"id":                  "Directory_" + deterministicGUID(t.ID, kind, id),
			"category":            category,
			"correlationId":       deterministicGUID(t.ID, "corr", kind, id),
			"result":              "success",
			"resultReason":        "",
			"activityDisplayName": activity,
			"activityDateTime":    graphTime(at),
			"loggedByService":     "Core Directory",
			"operationType":       "Add",
			"initiatedBy":         initiator,
			"targetResources": []map[string]any{{"id": id, "displayName": name, "type": typ,
				"userPrincipalName": nil, "groupType": nil, "modifiedProperties": []any{}}},
			"additionalDetails": []any{},
		}
	}
	var out []map[string]any
	for _, a := range t.Apps {
		out = append(out, entry("app", "Add application", "ApplicationManagement", a.ID, a.DisplayName, "Application", a.CreatedDateTime))
	}
	for _, sp := range t.SPs {
		if sp.AppOwnerOrganizationID == microsoftTenantID {
			continue
		}
		out = append(out, entry("sp", "Add service principal", "ApplicationManagement", sp.ID, sp.DisplayName, "ServicePrincipal", sp.created))
	}
	for _, g := range t.Groups {
		out = append(out, entry("group", "Add group", "GroupManagement", g.ID, g.DisplayName, "Group", g.CreatedDateTime))
	}
	sort.SliceStable(out, func(a, b int) bool {
		ta, _ := out[a]["activityDateTime"].(string)
		tb, _ := out[b]["activityDateTime"].(string)
		if ta == tb {
			return out[a]["id"].(string) < out[b]["id"].(string)
		}
		return ta > tb
	})
	return out
}

func (s *Server) listDirectoryAudits(q *Req) {
	if q.User != nil && !q.UserHasAnyRole(wlAuditReaderRoles...) {
		q.Denied()
		return
	}
	top, skip, ok := q.wlDirPage(1000, 1000)
	if !ok {
		return
	}
	f, ok := q.Filter()
	if !ok {
		return
	}
	var list []map[string]any
	for _, e := range wlDirectoryAudits(q.T) {
		if f == nil || f.Match(e) {
			list = append(list, e)
		}
	}
	q.wlWriteDirPage("auditLogs/directoryAudits", len(list), top, skip, false, func(i int) map[string]any {
		return q.Select(list[i])
	})
}

func (s *Server) getRootSite(q *Req) {
	t := q.T
	host := strings.TrimSuffix(t.InitialDomain(), ".onmicrosoft.com") + ".sharepoint.com"
	created := time.Now().UTC().AddDate(-1, 0, 0).Truncate(24 * time.Hour)
	out := q.Select(map[string]any{
		"createdDateTime":      graphTime(created),
		"description":          "",
		"id":                   host + "," + deterministicGUID(t.ID, "site") + "," + deterministicGUID(t.ID, "web"),
		"lastModifiedDateTime": graphTime(created),
		"name":                 "",
		"webUrl":               "https://" + host,
		"displayName":          "Communication site",
		"root":                 map[string]any{},
		"siteCollection":       map[string]any{"hostname": host},
	})
	out["@odata.context"] = q.Context("sites/$entity")
	q.JSON(http.StatusOK, out)
}

// getRootSiteDrive answers the root site's default document library with the
// drive resource's properties (drive-get.md, resources/drive.md).
func (s *Server) getRootSiteDrive(q *Req) {
	t := q.T
	host := strings.TrimSuffix(t.InitialDomain(), ".onmicrosoft.com") + ".sharepoint.com"
	created := time.Now().UTC().AddDate(-1, 0, 0).Truncate(24 * time.Hour)
	out := q.Select(map[string]any{
		"createdDateTime":      graphTime(created),
		"description":          "",
		"id":                   "b!" + strings.ReplaceAll(deterministicGUID(t.ID, "drive"), "-", ""),
		"lastModifiedDateTime": graphTime(created),
		"name":                 "Documents",
		"webUrl":               "https://" + host + "/Shared%20Documents",
		"driveType":            "documentLibrary",
		"quota":                map[string]any{"deleted": 0, "remaining": int64(1099511627776), "state": "normal", "total": int64(1099511627776), "used": 0},
	})
	out["@odata.context"] = q.Context("drives/$entity")
	q.JSON(http.StatusOK, out)
}
