-- Argo CD health check for coderops.dev/v1alpha1 Workspace.
-- The single source of this check: argocd-cm.yaml must carry exactly this text
-- (a test compares them and runs this script against statuses made by the
-- operator's own status code).
-- Standalone on purpose, though much of it reads like workspaceset-health.lua: Argo CD takes one
-- self-contained script per kind (resource.customizations.health.<group_kind>)
-- and offers no way for two of them to share code.
local hs = {}
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "reconciliation is suspended (spec.suspend)"
  return hs
end
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to reconcile this Workspace"
  return hs
end
local generation = obj.metadata ~= nil and obj.metadata.generation or nil
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "the operator has not reconciled generation " .. tostring(generation) .. " yet"
  return hs
end
local ready = nil
local synced = nil
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then ready = c end
  if c.type == "Synced" then synced = c end
end
-- Reasons a retry cannot fix: a person has to change the spec, the token or Coder.
local needsAction = {
  InvalidSpec = true,
  Forbidden = true,
  TemplateMismatch = true,
  OrganizationMismatch = true,
  OwnerMismatch = true,
  RenamesDisabled = true,
  FavoriteNeedsOwnerToken = true,
  CoderRejected = true,
  NotFound = true,
  ImmutableParameter = true,
  VersionNotFound = true,
  ScheduleConflict = true,
  InvalidRolloutWindow = true,
  UpdateFailed = true,
  RolledBack = true,
  Halted = true,
  PresetNotFound = true,
  SharingUnavailable = true,
}
if synced ~= nil and synced.status == "False" and needsAction[synced.reason] then
  hs.status = "Degraded"
  hs.message = synced.reason .. ": " .. (synced.message or "")
  return hs
end
if ready ~= nil and ready.reason == "BuildFailed" then
  hs.status = "Degraded"
  hs.message = ready.message or "the last build failed in Coder"
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end
-- Provisioning, Pending, a transient Coder error or rate limit: the operator retries.
hs.status = "Progressing"
if ready ~= nil then
  hs.message = ready.reason .. ": " .. (ready.message or "")
else
  hs.message = "waiting for the Ready condition"
end
return hs
