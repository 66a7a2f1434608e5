// The GraphQL the portal sends: the subject's own graph (`me`, the SUBJECT edition) and the
// subject's mutations. One query draws everything, so one visit is one SELF inquiry, not one
// per panel. Every record asks for its id and dispute mark: what fileDispute names.

const MARK = "dispute { status filedAt respondBy }";
const WHO = "identifier name kind";

export const PORTAL = `query Portal {
  me {
    id ${WHO} birthDate gender establishedOn industry
    spouse { ${WHO} }
    marriages { id current startedOn endedOn partner { ${WHO} } ${MARK} }
    employments { id employerName occupation title startedOn reportedOn employer { ${WHO} } ${MARK} }
    principalRoles { role since until organisation { ${WHO} } }
    accounts(first: 20) { totalCount nodes { role joint account {
      id kind status currency principal creditLimit balance openedOn maturesOn closedOn classification ${MARK}
      lender { code name kind }
      parties { role subject { ${WHO} } }
      guarantees { id kind amount status guarantor { ${WHO} } }
      repaymentGrid(months: 24) { latestMonth months statuses }
    } } }
    guaranteesGiven { id contractNumber kind amount currency status startsOn endsOn ${MARK}
      account { id kind lender { name } } borrower { ${WHO} } }
    guaranteeExposure { directExposure chainExposure totalExposure truncated
      links { depth amount guarantee { id } guarantor { ${WHO} } borrower { ${WHO} } }
      circles { members { ${WHO} } } }
    creditSummary { dataMonth accountCount openAccountCount totalBalance utilisation utilisationLevel
      currentOverdueAccounts currentOverdueAmount badDebt longestOverdueRun24m overdueMonths24m
      seriousDelinquency seriousDelinquencyAccounts hardInquiries6m hardInquiryWarning
      guaranteesGiven guaranteedAmount
      fourNots { passed notBlack { passed reasons } notWhite { passed reasons }
        notTooMany { passed reasons } notMessy { passed reasons } } }
    enforcementCases(first: 20) { nodes { id caseNumber courtCode courtName filedOn amount currency status closedOn ${MARK} } }
    dishonestListings { id caseNumber courtCode courtName obligation publishedOn removedOn active ${MARK} }
    consumptionRestrictions { id caseNumber courtCode courtName restrictions issuedOn liftedOn active ${MARK} }
    administrativeActions { id kind authorityCode authorityName decisionNumber description amount decidedOn publishUntil ${MARK} }
    taxArrears { id authorityCode authorityName taxType amount recordedOn settled ${MARK} }
    listEntries { id colour listName authorityCode authorityName reason noticeStartsOn noticeEndsOn objectionFiledOn objectionOutcome effectiveOn state ${MARK} }
    scores { id value band observedAt
      model { id name providerName scale min max description bands { name lower upper } }
      reasons { rank code description impact }
      dimensions { code name value points reasons { rank code description impact } } }
    inquiries(first: 50) { totalCount nodes { id requesterRole requesterCode requesterName operator
      purpose edition grantId answerId inquiredAt hard counted } }
    disputes { id recordType recordId reason filedAt respondBy status outcome resolution resolvedAt }
    statements { id text addedAt withdrawnAt }
    fraudAlerts { id kind contactPhone note placedAt expiresAt liftedAt active }
    consentGrants { id granteeCode granteeName purpose edition dataPeriodMonths validFrom validUntil
      state recordedVia recordedBy evidence revokedAt answeredAt }
    eligibilityShares { id requesterCode requesterName predicate purpose validFrom validUntil state withdrawnAt }
    eligibilityAnswers(first: 50) { id shareId requesterCode requesterName operator predicate purpose holds answeredAt }
    eligibilityCatalogue { predicates { code en zh } purposes { code en zh } }
  }
}`;

const GRANT = "id granteeCode granteeName purpose edition validUntil state";

export const GRANT_CONSENT = `mutation Grant($grantee: String!, $purpose: InquiryPurpose!, $edition: Edition, $validUntil: DateTime) {
  grantConsent(grantee: $grantee, purpose: $purpose, edition: $edition, validUntil: $validUntil) { ${GRANT} }
}`;
export const REVOKE_CONSENT = `mutation Revoke($id: ID!) { revokeConsent(id: $id) { ${GRANT} } }`;
export const CONFIRM = `mutation Confirm($id: ID!) { confirmAuthorisation(id: $id) { ${GRANT} } }`;
export const REFUSE = `mutation Refuse($id: ID!) { refuseAuthorisation(id: $id) { ${GRANT} } }`;
export const FILE_DISPUTE = `mutation Dispute($recordId: ID!, $reason: String!) {
  fileDispute(recordId: $recordId, reason: $reason) { id recordId respondBy status }
}`;
export const ADD_STATEMENT = `mutation Statement($text: String!) { addStatement(text: $text) { id text addedAt } }`;
export const PLACE_ALERT = `mutation Alert($contactPhone: String!, $note: String) {
  placeFraudAlert(contactPhone: $contactPhone, note: $note) { id active expiresAt }
}`;
export const LIFT_ALERT = `mutation Lift($id: ID!) { liftFraudAlert(id: $id) { id active liftedAt } }`;

const SHARE = "id requesterCode requesterName predicate purpose validUntil state";

export const SHARE_ELIGIBILITY = `mutation Share($requester: String!, $predicate: String!, $purpose: String!, $validUntil: DateTime) {
  shareEligibility(requester: $requester, predicate: $predicate, purpose: $purpose, validUntil: $validUntil) { ${SHARE} }
}`;
export const WITHDRAW_ELIGIBILITY = `mutation Withdraw($id: ID!) { withdrawEligibility(id: $id) { ${SHARE} } }`;
