-- Argo CD health check for coderops.dev/v1alpha1 WorkspaceSet.
-- The single source of this check: argocd-cm.yaml must carry exactly this text
-- (a test compares them and runs this script against statuses made by the
-- operator's own status code).
-- Standalone on purpose, though much of it reads like workspace-health.lua: Argo CD takes one
-- self-contained script per kind (resource.customizations.health.<group_kind>)
-- and offers no way for two of them to share code.
local hs = {}
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to reconcile this WorkspaceSet"
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
local stalled = nil
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then ready = c end
  if c.type == "Stalled" then stalled = c end
end
-- Stalled=True: a person has to act (removals held for acknowledgement, a generator
-- Coder refuses, a child that cannot be created, an invalid spec).
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.reason .. ": " .. (stalled.message or "")
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end
-- Children being created or built, a generator retried after a transient Coder error.
hs.status = "Progressing"
if ready ~= nil then
  hs.message = ready.reason .. ": " .. (ready.message or "")
else
  hs.message = "waiting for the Ready condition"
end
return hs
