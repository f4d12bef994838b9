package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// GET /groups, GET /groups/{id}, GET /groups/{id}/members and POST /groups
// (group-list.md, group-get.md, group-list-members.md, group-post-groups.md).
// Seed 002 needs a mail-enabled security group for the access policy: Graph
// cannot create one (only the admin centre or Exchange PowerShell can), and the
// sandbox answers that attempt with Graph's real refusal.

var wlGroupResource = &wlResource{
	typeName: "Group",
	filters: map[string]wlFilterRule{
		"id":                 {eq: wlDefault},
		"description":        {eq: wlAdvanced, startsWith: wlAdvanced, eqNull: wlAdvanced},
		"displayname":        {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"mail":               {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"mailenabled":        {eq: wlDefault},
		"mailnickname":       {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"securityenabled":    {eq: wlDefault},
		"grouptypes/any":     {eq: wlDefault},
		"proxyaddresses/any": {eq: wlDefault, startsWith: wlDefault},
	},
	orderable: map[string]bool{"displayname": true},
	tokenized: map[string]bool{"displayname": true, "description": true},
}

// Graph's texts for group writes (Request_BadRequest).
const msgMailEnabledWrites = "The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset or is set to false."

func msgInvalidGroupValue(prop string) string {
	return fmt.Sprintf("Invalid value specified for property '%s' of resource 'Group'.", prop)
}

func groupIsUnified(g *Group) bool {
	for _, t := range g.GroupTypes {
		if strings.EqualFold(t, "Unified") {
			return true
		}
	}
	return false
}

func wlGroupProp(g *Group, prop string) any {
	switch prop {
	case "id":
		return g.ID
	case "displayname":
		return strOrNil(g.DisplayName)
	case "description":
		return strOrNil(g.Description)
	case "mail":
		return strOrNil(g.Mail)
	case "mailenabled":
		return g.MailEnabled
	case "mailnickname":
		return g.MailNickname
	case "securityenabled":
		return g.SecurityEnabled
	case "grouptypes":
		return nonNil(g.GroupTypes)
	case "proxyaddresses":
		if g.Mail == "" {
			return []string{}
		}
		return []string{"SMTP:" + g.Mail}
	}
	return nil
}

func wlRenderGroup(g *Group) map[string]any {
	var visibility any
	if groupIsUnified(g) {
		visibility = "Public"
	}
	return map[string]any{
		"id":                            g.ID,
		"deletedDateTime":               nil,
		"classification":                nil,
		"createdDateTime":               graphTime(g.CreatedDateTime),
		"creationOptions":               []string{},
		"description":                   strOrNil(g.Description),
		"displayName":                   g.DisplayName,
		"expirationDateTime":            nil,
		"groupTypes":                    nonNil(g.GroupTypes),
		"isAssignableToRole":            nil,
		"mail":                          strOrNil(g.Mail),
		"mailEnabled":                   g.MailEnabled,
		"mailNickname":                  g.MailNickname,
		"membershipRule":                nil,
		"membershipRuleProcessingState": nil,
		"onPremisesDomainName":          nil,
		"onPremisesLastSyncDateTime":    nil,
		"onPremisesNetBiosName":         nil,
		"onPremisesSamAccountName":      nil,
		"onPremisesSecurityIdentifier":  nil,
		"onPremisesSyncEnabled":         nil,
		"preferredDataLocation":         nil,
		"preferredLanguage":             nil,
		"proxyAddresses":                wlGroupProp(g, "proxyaddresses"),
		"renewedDateTime":               graphTime(g.CreatedDateTime),
		"resourceBehaviorOptions":       []string{},
		"resourceProvisioningOptions":   []string{},
		"securityEnabled":               g.SecurityEnabled,
		"securityIdentifier":            groupSecurityIdentifier(g.ID),
		"theme":                         nil,
		"visibility":                    visibility,
		"onPremisesProvisioningErrors":  []any{},
		"serviceProvisioningErrors":     []any{},
	}
}

// groupSecurityIdentifier is the S-1-12-1 SID Entra derives from an object id.
func groupSecurityIdentifier(id string) string {
	u, err := uuid.Parse(id)
	if err != nil {
		return ""
	}
	b := u[:]
	part := func(x []byte) uint32 { return uint32(x[0]) | uint32(x[1])<<8 | uint32(x[2])<<16 | uint32(x[3])<<24 }
	return fmt.Sprintf("S-1-12-1-%d-%d-%d-%d", part(b[0:4]), part(b[4:8]), part(b[8:12]), part(b[12:16]))
}

// wlSelectGroup applies $select, refusing unknown properties as Graph does.
func (q *Req) wlSelectGroup(obj map[string]any) (map[string]any, bool) {
	if sel := q.R.URL.Query().Get("$select"); sel != "" {
		for _, f := range strings.Split(sel, ",") {
			f = strings.TrimSpace(f)
			found := false
			for k := range obj {
				found = found || strings.EqualFold(k, f)
			}
			if !found {
				q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", "Could not find a property named '"+f+"' on type 'microsoft.graph.group'.")
				return nil, false
			}
		}
	}
	return q.Select(obj), true
}

func (s *Server) listGroups(q *Req) {
	d, ok := q.wlParseDirQuery(wlGroupResource, 100, 999)
	if !ok {
		return
	}
	if d.search != nil {
		if err := d.search.validate(wlGroupResource); err != nil {
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
			return
		}
	}
	var list []*Group
	for _, id := range sortedKeys(q.T.Groups) {
		g := q.T.Groups[id]
		get := func(p string) any { return wlGroupProp(g, p) }
		if d.filter != nil && !wlMatchFilter(d.filter, get) {
			continue
		}
		text := func(p string) string {
			if p == "description" {
				return g.Description
			}
			return g.DisplayName
		}
		if d.search != nil && !d.search.match(wlGroupResource, get, func(p string) []string { return wlSearchTokens(text(p), true) },
			func(p string) string { return wlSearchKey(text(p)) }) {
			continue
		}
		list = append(list, g)
	}
	if d.orderBy != "" {
		sort.SliceStable(list, func(a, b int) bool {
			ka, kb := strings.ToLower(list[a].DisplayName), strings.ToLower(list[b].DisplayName)
			if d.desc {
				return ka > kb
			}
			return ka < kb
		})
	}
	if len(list) > 0 {
		if _, ok := q.wlSelectGroup(wlRenderGroup(list[0])); !ok {
			return
		}
	}
	q.wlWriteDirPage("groups"+q.SelectFragment(), len(list), d.top, d.skip, d.count, func(i int) map[string]any {
		return q.Select(wlRenderGroup(list[i]))
	})
}

func (q *Req) wlGroup() *Group {
	_, key := q.Key("id")
	g := q.T.Groups[strings.ToLower(key)]
	if g == nil {
		q.NotFound(key)
	}
	return g
}

func (s *Server) getGroup(q *Req) {
	g := q.wlGroup()
	if g == nil {
		return
	}
	out, ok := q.wlSelectGroup(wlRenderGroup(g))
	if !ok {
		return
	}
	out["@odata.context"] = q.Context("groups" + q.SelectFragment() + "/$entity")
	q.JSON(http.StatusOK, out)
}

func (s *Server) listGroupMembers(q *Req) {
	g := q.wlGroup()
	if g == nil {
		return
	}
	top, skip, ok := q.wlDirPage(100, 999)
	if !ok {
		return
	}
	props, ok := q.wlUserSelect()
	if !ok {
		return
	}
	var members []*User
	for _, id := range g.Members {
		if u := q.T.usersByID[id]; u != nil {
			members = append(members, u)
		}
	}
	q.wlWriteDirPage("directoryObjects"+q.SelectFragment(), len(members), top, skip, q.wlEventual() && q.wlCountRequested(), func(i int) map[string]any {
		out := wlRenderUser(q.T, members[i], props)
		out["@odata.type"] = "#microsoft.graph.user"
		return out
	})
}

func (s *Server) createGroup(q *Req) {
	body, ok := q.Body("microsoft.graph.group", "displayName", "description", "mailEnabled", "mailNickname",
		"securityEnabled", "groupTypes", "visibility", "isAssignableToRole", "members@odata.bind", "owners@odata.bind")
	if !ok {
		return
	}
	var in struct {
		DisplayName     *string  `json:"displayName"`
		Description     string   `json:"description"`
		MailEnabled     *bool    `json:"mailEnabled"`
		MailNickname    *string  `json:"mailNickname"`
		SecurityEnabled *bool    `json:"securityEnabled"`
		GroupTypes      []string `json:"groupTypes"`
		Members         []string `json:"members@odata.bind"`
		Owners          []string `json:"owners@odata.bind"`
	}
	raw, _ := json.Marshal(body)
	if err := json.Unmarshal(raw, &in); err != nil {
		q.BadRequest(msgOneOrMoreInvalid)
		return
	}
	switch {
	case in.DisplayName == nil || strings.TrimSpace(*in.DisplayName) == "":
		q.BadRequest(msgInvalidGroupValue("displayName"))
		return
	case in.MailNickname == nil || strings.TrimSpace(*in.MailNickname) == "" || strings.ContainsAny(*in.MailNickname, " @()\\[]\";:<>,"):
		q.BadRequest(msgInvalidGroupValue("mailNickname"))
		return
	case in.MailEnabled == nil:
		q.BadRequest(msgInvalidGroupValue("mailEnabled"))
		return
	case in.SecurityEnabled == nil:
		q.BadRequest(msgInvalidGroupValue("securityEnabled"))
		return
	}
	g := &Group{ID: uuid.NewString(), DisplayName: *in.DisplayName, Description: in.Description,
		MailEnabled: *in.MailEnabled, MailNickname: *in.MailNickname, SecurityEnabled: *in.SecurityEnabled,
		GroupTypes: in.GroupTypes, CreatedDateTime: time.Now().UTC().Truncate(time.Second)}
	if g.MailEnabled && !groupIsUnified(g) {
		// Mail-enabled security groups and distribution lists are Exchange objects.
		q.BadRequest(msgMailEnabledWrites)
		return
	}
	if groupIsUnified(g) {
		g.Mail = g.MailNickname + "@" + q.T.DefaultDomain()
		if userBySMTPAddress(q.T, g.Mail) != nil || q.T.wlGroupByMail(g.Mail) != nil {
			q.BadRequest("Another object with the same value for property proxyAddresses already exists.")
			return
		}
	}
	for _, ref := range append(append([]string{}, in.Members...), in.Owners...) {
		id := ref[strings.LastIndex(ref, "/")+1:]
		if q.T.usersByID[strings.ToLower(id)] == nil {
			q.NotFound(id)
			return
		}
	}
	for _, ref := range in.Members {
		g.Members = append(g.Members, strings.ToLower(ref[strings.LastIndex(ref, "/")+1:]))
	}
	q.T.Groups[g.ID] = g
	out := wlRenderGroup(g)
	out["@odata.context"] = q.Context("groups/$entity")
	q.JSON(http.StatusCreated, out)
}

func (t *Tenant) wlGroupByMail(mail string) *Group {
	for _, g := range t.Groups {
		if g.Mail != "" && strings.EqualFold(g.Mail, mail) {
			return g
		}
	}
	return nil
}
