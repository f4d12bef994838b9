# M365 Setup Wizard: limit an app to chosen mailboxes with RBAC for Applications
# in Exchange Online. Exchange itself gives the app its mail and calendar
# permissions, only for the members of a mail-enabled security group.
# Do NOT grant these permissions in Microsoft Entra ID as well: Exchange adds
# Entra grants to its own, and an Entra grant opens every mailbox again.
# Needs an Exchange administrator (Organization Management).
# Run it in Windows PowerShell 5.1 or PowerShell 7 with the ExchangeOnlineManagement
# module (Install-Module ExchangeOnlineManagement). It is safe to run again.
#Requires -Modules ExchangeOnlineManagement

Connect-ExchangeOnline -UserPrincipalName 'admin@contoso.com'

$ErrorActionPreference = 'Stop'

# The values M365 Setup Wizard chose. Text in single quotes is taken literally.
$AppId = '6f1d7c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f'
$ServicePrincipalId = '0e9f8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0'
$AppName = 'HelpMaster'
$GroupName = 'HelpMaster mailboxes'
$GroupAlias = 'HelpMasterApp'
$GroupAddress = 'HelpMasterApp@contoso.com'
$Mailboxes = @(
    'helpdesk@contoso.com'
    'support@contoso.com'
)
$OutsideMailbox = 'user@contoso.com'
$ScopeName = 'Mailboxes of app 6f1d7c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f'
$Assignments = @(
    @{ Role = 'Application Mail.Send'; Name = 'Mail.Send 6f1d7c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f' }
    @{ Role = 'Application Mail.ReadWrite'; Name = 'Mail.ReadWrite 6f1d7c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f' }
    @{ Role = 'Application Calendars.ReadWrite'; Name = 'Calendars.ReadWrite 6f1d7c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f' }
)

# The mail-enabled security group, with the chosen mailboxes as its members.
$group = $null
try { $group = Get-DistributionGroup -Identity $GroupAddress -ErrorAction Stop } catch { $group = $null }
if ($null -eq $group) {
    $group = New-DistributionGroup -Name $GroupName -Alias $GroupAlias -PrimarySmtpAddress $GroupAddress -Type Security -Members $Mailboxes
    Write-Host ('Created the group ' + $GroupAddress)
} else {
    if ([string]$group.RecipientTypeDetails -ne 'MailUniversalSecurityGroup') {
        throw ($GroupAddress + ' exists but is not a mail-enabled security group. Choose another group address in M365 Setup Wizard.')
    }
    $members = @(Get-DistributionGroupMember -Identity $group.Identity -ResultSize Unlimited | ForEach-Object { [string]$_.PrimarySmtpAddress })
    foreach ($mailbox in $Mailboxes) {
        if ($members -notcontains $mailbox) {
            try {
                Add-DistributionGroupMember -Identity $group.Identity -Member $mailbox -BypassSecurityGroupManagerCheck -ErrorAction Stop
                Write-Host ('Added ' + $mailbox + ' to the group')
            } catch {
                Write-Warning ($mailbox + ': ' + $_.Exception.Message)
            }
        }
    }
}

# The management scope: the group's direct members. Its filter names the group
# by its distinguished name, read here from Exchange; quotes in it are doubled.
$groupDN = [string]$group.DistinguishedName
if ([string]::IsNullOrEmpty($groupDN)) { $groupDN = [string](Get-DistributionGroup -Identity $GroupAddress).DistinguishedName }
$filter = "MemberOfGroup -eq '" + ($groupDN -replace '([\u0027\u2018\u2019\u201A\u201B])', '$1$1') + "'"
$scope = $null
try { $scope = Get-ManagementScope -Identity $ScopeName -ErrorAction Stop } catch { $scope = $null }
if ($null -eq $scope) {
    New-ManagementScope -Name $ScopeName -RecipientRestrictionFilter $filter | Out-Null
    Write-Host ('Created the management scope ' + $ScopeName)
} else {
    Set-ManagementScope -Identity $ScopeName -RecipientRestrictionFilter $filter
}

# Exchange's pointer to the app's service principal (Entra ID, Enterprise applications).
$sp = $null
try { $sp = Get-ServicePrincipal -Identity $ServicePrincipalId -ErrorAction Stop } catch { $sp = $null }
if ($null -eq $sp) {
    New-ServicePrincipal -AppId $AppId -ObjectId $ServicePrincipalId -DisplayName $AppName | Out-Null
    Write-Host 'Created the service principal in Exchange.'
}

# One role assignment per permission, limited to the management scope.
foreach ($assignment in $Assignments) {
    $existing = $null
    try { $existing = Get-ManagementRoleAssignment -Identity $assignment.Name -ErrorAction Stop } catch { $existing = $null }
    if ($null -eq $existing) {
        New-ManagementRoleAssignment -Name $assignment.Name -App $ServicePrincipalId -Role $assignment.Role -CustomResourceScope $ScopeName | Out-Null
        Write-Host ('Assigned ' + $assignment.Role)
    }
}

# Check (this test skips Exchange's cache): InScope should be True for each role on each chosen mailbox.
foreach ($mailbox in $Mailboxes) {
    Test-ServicePrincipalAuthorization -Identity $ServicePrincipalId -Resource $mailbox | Format-Table RoleName, AllowedResourceScope, InScope -AutoSize
}

# And False on a mailbox outside the group.
Test-ServicePrincipalAuthorization -Identity $ServicePrincipalId -Resource $OutsideMailbox | Format-Table RoleName, AllowedResourceScope, InScope -AutoSize

Write-Host 'Done. Microsoft Graph follows in 30 minutes to 2 hours: then press Test Settings again in M365 Setup Wizard (or run: m365wizard test).'
Write-Host 'Leave these permissions ungranted in Entra ID, or the scope has no effect.'
