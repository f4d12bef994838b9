# M365 Setup Wizard: limit an app to chosen mailboxes with an application access
# policy (steps 4 and 5 of the HelpMaster guide). A mail-enabled security group
# holds the mailboxes; the policy lets the app's Microsoft Graph permissions
# reach only the group's members. The app keeps its permissions in Entra ID.
# Run it in Windows PowerShell 5.1 or PowerShell 7 with the ExchangeOnlineManagement
# module (Install-Module ExchangeOnlineManagement). It is safe to run again.
#Requires -Modules ExchangeOnlineManagement

Connect-ExchangeOnline -UserPrincipalName 'admin@contoso.com'

$ErrorActionPreference = 'Stop'

# The values M365 Setup Wizard chose. Text in single quotes is taken literally.
$AppId = '6f1d7c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f'
$AppName = 'HelpMaster'
$GroupName = 'HelpMaster mailboxes'
$GroupAlias = 'HelpMasterApp'
$GroupAddress = 'HelpMasterApp@contoso.com'
$Mailboxes = @(
    'helpdesk@contoso.com'
    'support@contoso.com'
)
$OutsideMailbox = 'user@contoso.com'
$Description = 'This will restrict the HelpMaster application''s ability to send email "As" or "On Behalf Of" only the user mailboxes that are members of this security group.'

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

# The application access policy: the app may reach only the group's members.
try {
    New-ApplicationAccessPolicy -AppId $AppId -PolicyScopeGroupId $GroupAddress -AccessRight RestrictAccess -Description $Description -ErrorAction Stop | Out-Null
    Write-Host 'Created the application access policy.'
} catch {
    if ($_.Exception.Message -like '*already exist*') { Write-Host 'The application access policy exists already.' } else { throw }
}

# Check: each chosen mailbox should show AccessCheckResult Granted.
foreach ($mailbox in $Mailboxes) {
    Test-ApplicationAccessPolicy -Identity $mailbox -AppId $AppId | Format-List
}

# And a mailbox outside the group should show Denied.
Test-ApplicationAccessPolicy -Identity $OutsideMailbox -AppId $AppId | Format-List

Write-Host 'Done. Microsoft Graph follows in 30 minutes to 2 hours: then press Test Settings again in M365 Setup Wizard (or run: m365wizard test).'
