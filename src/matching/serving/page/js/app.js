// The recruiter shortlist page: pick a requisition, read the ranked shortlist and why, open a
// candidate, record decisions and review requests, export, send to the CRM.
import { ApiError, call, forgetKey, storedKey } from "./api.js";
import { download, toCsv } from "./csv.js";
import { fill, h, number, when } from "./dom.js";

const $ = (id) => document.getElementById(id);

const state = {
  model: null,
  requisitions: [],
  requisition: null, // the RequisitionSummary (or RequisitionStored) shown
  page: null, // the ShortlistResponse shown
  requestId: null, // of the shortlist shown: stored with decisions
  offsets: [], // offsets of the pages before this one (Previous page)
  details: new Map(), // candidate id -> CandidateDetail
  decisions: new Map(), // candidate id -> decision for this requisition
  openCandidate: null,
};

const KNOCKOUT_NAMES = {
  min_years: "minimum years",
  location: "location",
  work_authorization: "work authorisation",
};

// -- status messages ---------------------------------------------------------------------------

let statusTimer = null;

/** Tell the reader what happened (announced by screen readers); errors stay until the next
 * message, other messages fade after a few seconds. Inside the open candidate panel the
 * message goes to the panel's own status line (the rest of the page is inert then). */
function say(text, { error = false } = {}) {
  const inPanel = $("candidate-panel").open;
  const status = inPanel ? $("panel-status") : $("status");
  for (const other of [$("status"), $("panel-status")]) if (other !== status) fill(other);
  status.setAttribute("role", error ? "alert" : "status");
  status.className = `${inPanel ? "panel-status" : "status"} ${error ? "status-error" : "status-ok"}`;
  fill(status, text);
  clearTimeout(statusTimer);
  if (!error) statusTimer = setTimeout(() => fill(status), 6000);
}

function sayError(problem) {
  if (problem instanceof ApiError) {
    const parts = [`${problem.code}: ${problem.message}`];
    if (problem.remedy) parts.push(problem.remedy);
    if (problem.requestId) parts.push(`(request ${problem.requestId})`);
    say(parts.join(" "), { error: true });
  } else {
    const text = String(problem.message || problem);
    say(text.charAt(0).toUpperCase() + text.slice(1) + ".", { error: true });
  }
}

async function busy(button, work) {
  if (button) button.disabled = true;
  document.body.setAttribute("aria-busy", "true");
  try {
    return await work();
  } catch (problem) {
    sayError(problem);
    return undefined;
  } finally {
    if (button) button.disabled = false;
    document.body.removeAttribute("aria-busy");
  }
}

// -- model, requisitions, review requests ---------------------------------------------------------

async function loadModel() {
  const { data } = await call("/model");
  state.model = data;
  const version = data.version ? `v${data.version}` : "(unregistered)";
  fill($("model-info"), `Model ${data.name ?? data.uri} ${version} · ${data.pool_size} in the pool`);
}

async function loadRequisitions(selectId) {
  const { data } = await call("/requisitions?limit=200");
  state.requisitions = data.results;
  const select = $("requisition-select");
  const options = data.results.map((r) =>
    h("option", { value: r.requisition_id }, requisitionLabel(r)),
  );
  if (!options.length) options.push(h("option", { value: "" }, "No stored requisition yet"));
  fill(select, options);
  if (selectId) select.value = selectId;
}

function requisitionLabel(r) {
  const title = r.title || "Untitled requisition";
  const extra = [r.external_id, r.location].filter(Boolean).join(" · ");
  return extra ? `${title} (${extra})` : title;
}

async function loadReviews() {
  const { data } = await call("/review-requests?limit=50");
  const box = $("review-list");
  if (!data.results.length) {
    fill(box, h("p", { class: "meta" }, "No requests recorded."));
    return;
  }
  await loadDetails(
    [...new Set(data.results.map((r) => r.candidate_id))].filter((id) => !state.details.has(id)),
  );
  const titles = new Map(state.requisitions.map((r) => [r.requisition_id, r.title]));
  const items = data.results.map((r) =>
    h(
      "li",
      { class: "review-item" },
      h(
        "button",
        { type: "button", class: "link", onclick: () => openCandidate(r.candidate_id) },
        candidateName(state.details.get(r.candidate_id), r.candidate_id),
      ),
      h(
        "span",
        { class: "meta" },
        ` · ${r.requisition_id ? titles.get(r.requisition_id) || "a requisition" : "any requisition"}`,
        ` · recorded by ${r.recorded_by ?? "unknown"} on ${when(r.requested_at)}`,
      ),
      r.note ? h("p", { class: "note" }, r.note) : null,
    ),
  );
  fill(box, h("p", { class: "meta" }, `${data.total} recorded`), h("ul", { class: "plain" }, items));
}

// -- the requisition ----------------------------------------------------------------------------

function source() {
  return document.querySelector("input[name=source]:checked").value;
}

function showSource() {
  for (const block of document.querySelectorAll(".source")) {
    block.hidden = block.dataset.source !== source();
  }
}

async function chooseRequisition() {
  const kind = source();
  if (kind === "stored") {
    const id = $("requisition-select").value;
    if (!id) throw new Error("pick a stored requisition, or paste or upload a posting");
    return state.requisitions.find((r) => r.requisition_id === id);
  }
  let stored;
  if (kind === "text") {
    const text = $("requisition-text").value.trim();
    if (!text) throw new Error("paste the posting's text first");
    const externalId = $("requisition-external").value.trim();
    ({ data: stored } = await call("/requisitions", {
      method: "POST",
      json: externalId ? { text, external_id: externalId } : { text },
    }));
  } else {
    const file = $("requisition-file").files[0];
    if (!file) throw new Error("choose a posting file first");
    const form = new FormData();
    form.append("document", file, file.name);
    const externalId = $("requisition-file-external").value.trim();
    if (externalId) form.append("external_id", externalId);
    ({ data: stored } = await call("/requisitions/upload", { method: "POST", form }));
  }
  await loadRequisitions(stored.requisition_id);
  return state.requisitions.find((r) => r.requisition_id === stored.requisition_id) ?? stored;
}

function renderRequisition(r) {
  const chips = (labels, kind) =>
    labels.length
      ? h("ul", { class: "chips" }, labels.map((label) => h("li", { class: `chip ${kind}` }, label)))
      : h("span", { class: "meta" }, "none stated");
  fill(
    $("requisition-summary"),
    h("h3", {}, r.title || "Untitled requisition"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Required skills"),
      h("dd", {}, chips(r.required_skills, "plain-chip")),
      h("dt", {}, "Preferred skills"),
      h("dd", {}, chips(r.preferred_skills, "plain-chip")),
      h("dt", {}, "Experience"),
      h("dd", {}, r.min_years_experience == null ? "not stated" : `${number(r.min_years_experience)}+ years`),
      h("dt", {}, "Location"),
      h("dd", {}, r.location || "not stated"),
    ),
  );
}

// -- the shortlist ------------------------------------------------------------------------------

function filters() {
  const body = {};
  const location = $("filter-location").value.trim();
  if (location) body.location = location;
  const minimum = $("filter-min-score").value;
  if (minimum !== "") body.min_score = Math.min(100, Math.max(0, Number(minimum)));
  body.exclude_knocked_out = $("filter-knockouts").value === "exclude";
  body.top = Number($("page-size").value);
  return body;
}

async function loadShortlist(offset) {
  if (!state.requisition) throw new Error("pick a requisition first");
  say("Ranking the pool…");
  const pager = [$("previous-page"), $("next-page")];
  const enabled = pager.map((button) => !button.disabled);
  for (const button of pager) button.disabled = true;
  let answer;
  try {
    answer = await call("/shortlist", {
      method: "POST",
      json: { requisition: { id: state.requisition.requisition_id }, offset, ...filters() },
    });
  } catch (problem) {
    pager.forEach((button, i) => (button.disabled = !enabled[i]));
    throw problem;
  }
  const { data, requestId } = answer;
  state.page = data;
  state.requestId = requestId;
  await loadDetails(data.results.map((item) => item.candidate_id));
  renderShortlist();
  say(`Shortlist ready: ${data.results.length} candidate(s) on this page.`);
}

async function loadDetails(ids) {
  // A few at a time: the profile of each shown candidate (name, place, decisions).
  const queue = ids.filter(Boolean);
  const worker = async () => {
    while (queue.length) {
      const id = queue.shift();
      const { data } = await call(`/candidates/${encodeURIComponent(id)}`);
      state.details.set(id, data);
      const decided = data.decisions.find(
        (d) => d.requisition_id === state.requisition?.requisition_id,
      );
      if (decided) state.decisions.set(id, decided);
      else state.decisions.delete(id);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

function candidateName(detail, id) {
  const profile = detail?.profile;
  if (profile?.name) return profile.name;
  if (detail?.external_id) return detail.external_id;
  return `Candidate ${String(id).slice(0, 8)}`;
}

function headline(detail) {
  const profile = detail?.profile;
  if (!profile) return "";
  const title = profile.experience?.[0]?.title || profile.titles?.[0];
  return [title, profile.location].filter(Boolean).join(" · ");
}

function sortedResults() {
  const results = [...(state.page?.results ?? [])];
  const key = $("sort-by").value;
  const years = (item) => item.reasons.experience.candidate_years ?? -1;
  const name = (item) => candidateName(state.details.get(item.candidate_id), item.candidate_id);
  const by = {
    rank: (a, b) => a.rank - b.rank,
    score: (a, b) => b.score - a.score || a.rank - b.rank,
    experience: (a, b) => years(b) - years(a) || a.rank - b.rank,
    matched: (a, b) =>
      b.reasons.matched_skills.length - a.reasons.matched_skills.length || a.rank - b.rank,
    missing: (a, b) =>
      a.reasons.missing_skills.length - b.reasons.missing_skills.length || a.rank - b.rank,
    name: (a, b) => name(a).localeCompare(name(b)) || a.rank - b.rank,
  }[key];
  return results.sort(by);
}

function scoreBar(score) {
  const fillBar = h("span", { class: "bar-fill" });
  fillBar.style.width = `${Math.max(0, Math.min(100, score))}%`;
  return h("span", { class: "bar", "aria-hidden": "true" }, fillBar);
}

function skillChips(reasons) {
  const chips = [
    ...reasons.matched_skills.map((s) =>
      h("li", { class: "chip matched", title: "required, found" }, h("span", { class: "mark", "aria-hidden": "true" }, "✓"), s),
    ),
    ...reasons.near_skills.map((n) =>
      h(
        "li",
        { class: "chip near", title: `required ${n.required}; has the related ${n.found}` },
        h("span", { class: "mark", "aria-hidden": "true" }, "≈"),
        `${n.required} (has ${n.found})`,
      ),
    ),
    ...reasons.missing_skills.map((s) =>
      h("li", { class: "chip missing", title: "required, not found" }, h("span", { class: "mark", "aria-hidden": "true" }, "✗"), h("span", { class: "visually-hidden" }, "missing: "), s),
    ),
  ];
  return chips.length
    ? h("ul", { class: "chips", "aria-label": "Required skills" }, chips)
    : h("span", { class: "meta" }, "no required skills stated");
}

function experienceText(check) {
  const has = check.candidate_years == null ? "unknown" : `${number(check.candidate_years)} y`;
  if (check.required_years == null) return has;
  const verdict = check.meets === true ? "meets" : check.meets === false ? "below" : "unknown";
  return `${has} · needs ${number(check.required_years)} y (${verdict})`;
}

function knockoutCell(item) {
  const failed = item.knockouts.filter((k) => k.status === "fail");
  const unknown = item.knockouts.filter((k) => k.status === "unknown");
  if (!item.knockouts.length) return h("span", { class: "meta" }, "none checked");
  const badges = [
    ...failed.map((k) =>
      h("li", { class: "badge badge-fail" }, `Knocked out: ${KNOCKOUT_NAMES[k.rule] ?? k.rule}`),
    ),
    ...unknown.map((k) =>
      h("li", { class: "badge badge-unknown" }, `Unknown: ${KNOCKOUT_NAMES[k.rule] ?? k.rule}`),
    ),
  ];
  if (!badges.length) return h("span", { class: "badge badge-pass" }, "All passed");
  return h("ul", { class: "badges" }, badges);
}

function decisionBadge(decision) {
  if (!decision) return h("span", { class: "meta" }, "–");
  const label = decision.decision === "advance" ? "Advanced" : "Rejected";
  return h("span", { class: `badge badge-${decision.decision}` }, label);
}

/** A table cell with its column's name (shown beside the value on narrow screens). */
function cell(label, props, ...children) {
  return h("td", { "data-label": label, ...props }, h("div", { class: "cell" }, ...children));
}

function renderShortlist() {
  const page = state.page;
  const rows = sortedResults().map((item) => {
    const detail = state.details.get(item.candidate_id);
    const name = candidateName(detail, item.candidate_id);
    const row = h(
      "tr",
      { class: item.knocked_out ? "knocked-out" : null, dataset: { candidateId: item.candidate_id } },
      cell("Rank", { class: "rank" }, `#${item.rank}`),
      cell(
        "Candidate",
        {},
        h(
          "button",
          {
            type: "button",
            class: "link candidate-link",
            onclick: () => openCandidate(item.candidate_id),
          },
          name,
        ),
        h("div", { class: "meta" }, headline(detail)),
        h("div", { class: "summary" }, item.reasons.summary),
      ),
      cell(
        "Score",
        { class: "score" },
        h("span", { class: "score-value" }, number(item.score)),
        h("span", { class: "visually-hidden" }, " out of 100"),
        scoreBar(item.score),
      ),
      cell("Required skills", {}, skillChips(item.reasons)),
      cell("Experience", {}, experienceText(item.reasons.experience)),
      cell("Knock-outs", {}, knockoutCell(item)),
      cell("Decision", { class: "decision-cell" }, decisionBadge(state.decisions.get(item.candidate_id))),
    );
    return row;
  });
  fill($("shortlist-body"), rows);
  $("shortlist-table").hidden = rows.length === 0;
  const first = page.offset + 1;
  const last = page.offset + page.results.length;
  fill(
    $("shortlist-meta"),
    rows.length
      ? `${state.requisition.title || "Requisition"}: ranks ${first}–${last} of a pool of ${page.pool_size}` +
          ` (${page.considered} re-ranked by the model ${page.model.name ?? ""} v${page.model.version ?? "?"}).`
      : "No candidate matches these filters.",
  );
  fill($("page-label"), rows.length ? `Ranks ${first}–${last}` : "");
  $("previous-page").disabled = state.offsets.length === 0;
  $("next-page").disabled = page.next_offset == null;
  $("export-csv").disabled = rows.length === 0;
  $("send-crm").disabled = rows.length === 0;
}

function exportCsv() {
  const header = [
    "rank",
    "candidate_id",
    "external_id",
    "name",
    "score",
    "matched_required",
    "near_required",
    "missing_required",
    "candidate_years",
    "required_years",
    "knocked_out",
    "knockouts",
    "decision",
    "summary",
    "requisition_id",
    "model",
  ];
  const model = `${state.page.model.name ?? state.page.model.uri} v${state.page.model.version ?? ""}`;
  const rows = sortedResults().map((item) => {
    const detail = state.details.get(item.candidate_id);
    return [
      item.rank,
      item.candidate_id,
      item.external_id ?? "",
      candidateName(detail, item.candidate_id),
      item.score,
      item.reasons.matched_skills.join("; "),
      item.reasons.near_skills.map((n) => `${n.required} (has ${n.found})`).join("; "),
      item.reasons.missing_skills.join("; "),
      item.reasons.experience.candidate_years,
      item.reasons.experience.required_years,
      item.knocked_out ? "yes" : "no",
      item.knockouts.map((k) => `${k.rule}: ${k.status}`).join("; "),
      state.decisions.get(item.candidate_id)?.decision ?? "",
      item.reasons.summary,
      state.page.requisition_id,
      model,
    ];
  });
  const stamp = new Date().toISOString().slice(0, 10);
  download(`shortlist-${state.page.requisition_id.slice(0, 8)}-${stamp}.csv`, toCsv(header, rows));
  say(`Exported ${rows.length} candidate(s) to CSV.`);
}

async function sendToCrm() {
  const ids = state.page.results.map((item) => item.candidate_id).filter(Boolean);
  const { data } = await call("/crm/queue", {
    method: "POST",
    json: { requisition_id: state.page.requisition_id, candidate_ids: ids },
  });
  if (!data.crms.length) {
    say("No CRM is configured for write-back (MATCHING_CRM): nothing was queued.", { error: true });
    return;
  }
  const name = (id) => candidateName(state.details.get(id), id);
  const parts = [`Queued ${data.queued} write(s) to ${data.crms.join(", ")}.`];
  if (data.unlinked.length) {
    parts.push(`No CRM contact for: ${data.unlinked.map(name).join(", ")}.`);
  }
  if (data.unscored.length) parts.push(`Not scored yet: ${data.unscored.map(name).join(", ")}.`);
  say(parts.join(" "));
}

// -- the candidate panel ------------------------------------------------------------------------

async function openCandidate(id) {
  const { data } = await call(`/candidates/${encodeURIComponent(id)}`);
  state.details.set(id, data);
  state.openCandidate = id;
  renderCandidate(data);
  const dialog = $("candidate-panel");
  if (!dialog.open) dialog.showModal();
  $("candidate-name").focus();
}

function section(title, ...content) {
  return h("section", { class: "panel-section" }, h("h3", {}, title), ...content);
}

function list(items, empty = "none") {
  return items.length ? h("ul", { class: "plain" }, items.map((i) => h("li", {}, i))) : h("p", { class: "meta" }, empty);
}

function renderCandidate(detail) {
  const id = detail.candidate_id;
  const profile = detail.profile ?? {};
  const item = state.page?.results.find((r) => r.candidate_id === id);
  const requisitionId = state.requisition?.requisition_id;
  const stored = detail.scores.find((s) => s.requisition_id === requisitionId);
  fill($("candidate-name"), candidateName(detail, id));
  const parts = [];

  parts.push(
    h(
      "p",
      { class: "meta" },
      [headline(detail), detail.external_id ? `id ${detail.external_id}` : null].filter(Boolean).join(" · "),
    ),
  );

  if (item || stored) {
    const reasons = item?.reasons ?? stored.reasons;
    const score = item?.score ?? stored.score;
    const model = item ? state.page.model : { name: stored.model_name, version: stored.model_version };
    parts.push(
      section(
        `Score for ${state.requisition?.title || "this requisition"}`,
        h(
          "div",
          { class: "panel-score" },
          h("span", { class: "score-value big" }, number(score)),
          h("span", { class: "visually-hidden" }, " out of 100"),
          scoreBar(score),
          h("span", { class: "meta" }, item ? `rank ${item.rank}` : `rank ${stored.rank ?? "–"}`),
        ),
        h("p", { class: "model-line" }, `Scored by model ${model.name ?? "?"} version ${model.version ?? "?"}`,
          stored ? ` on ${when(stored.scored_at)}` : ""),
        h("p", {}, reasons.summary),
        skillChips(reasons),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Preferred skills found"),
          h("dd", {}, reasons.matched_preferred.join(", ") || "none"),
          h("dt", {}, "Preferred skills missing"),
          h("dd", {}, reasons.missing_preferred.join(", ") || "none"),
          h("dt", {}, "Experience"),
          h("dd", {}, experienceText(reasons.experience)),
        ),
        reasons.contributions.length
          ? h(
              "details",
              { class: "contributions" },
              h("summary", {}, "What moved the score"),
              h(
                "ul",
                { class: "plain" },
                reasons.contributions.slice(0, 10).map((c) =>
                  h(
                    "li",
                    {},
                    h("span", { class: c.contribution >= 0 ? "up" : "down" }, c.contribution >= 0 ? "▲ " : "▼ "),
                    c.description,
                    h("span", { class: "meta" }, ` (${c.contribution >= 0 ? "+" : ""}${number(c.contribution, 2)})`),
                  ),
                ),
              ),
            )
          : null,
      ),
    );
  }

  if (item) {
    parts.push(
      section(
        "Knock-outs (apart from the score)",
        item.knockouts.length
          ? h(
              "ul",
              { class: "plain" },
              item.knockouts.map((k) =>
                h(
                  "li",
                  {},
                  h("span", { class: `badge badge-${k.status === "fail" ? "fail" : k.status === "pass" ? "pass" : "unknown"}` }, k.status),
                  ` ${KNOCKOUT_NAMES[k.rule] ?? k.rule}: ${k.detail}`,
                ),
              ),
            )
          : h("p", { class: "meta" }, "No knock-out rule was checked."),
      ),
    );
  }

  const evidence = detail.evidence.map((e) =>
    h(
      "li",
      { class: "evidence" },
      h("span", { class: "evidence-skill" }, e.label),
      e.section ? h("span", { class: "meta" }, ` in ${e.section}`) : null,
      h(
        "q",
        { class: "evidence-quote" },
        e.before ? `…${e.before}` : "",
        h("mark", {}, e.text),
        e.after ? `${e.after}…` : "",
      ),
    ),
  );
  parts.push(section("Skills and where they were read", list(evidence, "No skill was found.")));
  parts.push(decisionForm(detail, requisitionId));

  parts.push(
    section(
      "Experience",
      list(
        (profile.experience ?? []).map((x) =>
          [x.title, x.company, [x.start, x.end].filter(Boolean).join(" – ")].filter(Boolean).join(" · "),
        ),
      ),
      h("p", { class: "meta" }, `Total: ${profile.total_experience_years == null ? "unknown" : `${number(profile.total_experience_years)} years`}`),
    ),
    section(
      "Education",
      list(
        (profile.education ?? []).map((x) =>
          [x.degree, x.institution, x.year].filter(Boolean).join(" · "),
        ),
      ),
    ),
    section(
      "Contact",
      list([...(profile.emails ?? []), ...(profile.phones ?? []), ...(profile.links ?? [])], "none found"),
      profile.location ? h("p", {}, `Location: ${profile.location}`) : null,
    ),
  );

  const others = detail.scores.filter((s) => s.requisition_id !== requisitionId);
  if (others.length) {
    parts.push(
      section(
        "Other requisitions",
        list(
          others.map(
            (s) =>
              `${s.requisition_title || s.requisition_id}: ${number(s.score)} (model ${s.model_name} v${s.model_version}, ${when(s.scored_at)})`,
          ),
        ),
      ),
    );
  }

  if (detail.document) {
    const d = detail.document;
    parts.push(
      section(
        "Document",
        h(
          "p",
          { class: "meta" },
          [d.filename, d.media_type, `${number(d.characters, 0)} characters`, d.pages ? `${d.pages} page(s)` : null,
            `stored ${when(d.stored_at)}`, d.parser_version ? `parser ${d.parser_version}` : null]
            .filter(Boolean)
            .join(" · "),
        ),
      ),
    );
  }

  parts.push(reviewForm(detail, requisitionId));
  fill($("candidate-body"), parts);
}

function decisionForm(detail, requisitionId) {
  const id = detail.candidate_id;
  const latest = requisitionId
    ? detail.decisions.find((d) => d.requisition_id === requisitionId)
    : null;
  const counter = h("span", { class: "meta", id: "reason-count" }, "0 / 500");
  const reason = h("textarea", {
    id: "decision-reason",
    rows: 3,
    maxlength: 500,
    "aria-describedby": "reason-count",
    oninput: (event) => fill(counter, `${event.target.value.length} / 500`),
  });
  const form = h(
    "form",
    {
      class: "decision-form",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const button = event.target.querySelector("button[type=submit]");
        busy(button, () => recordDecision(id, requisitionId, event.target));
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, "Your decision"),
      h("label", {}, h("input", { type: "radio", name: "decision", value: "advance", required: true }), " Advance"),
      h("label", {}, h("input", { type: "radio", name: "decision", value: "reject" }), " Reject"),
    ),
    h("label", { for: "decision-reason" }, "Reason (optional)"),
    reason,
    counter,
    h("button", { type: "submit", class: "primary" }, "Record decision"),
  );
  return section(
    "Decision",
    h(
      "p",
      { class: "meta", id: "latest-decision" },
      latest
        ? `Latest: ${latest.decision} by ${latest.reviewer ?? "unknown"} on ${when(latest.decided_at)}` +
            (latest.reason ? ` (“${latest.reason}”)` : "")
        : "No decision recorded for this requisition.",
    ),
    requisitionId ? form : h("p", { class: "meta" }, "Pick a requisition to record a decision."),
    h("p", { class: "help" }, "Decisions are stored as labelled pairs that data scientists use to retrain and check the model; they are never joined with protected attributes."),
  );
}

async function recordDecision(candidateId, requisitionId, form) {
  const choice = form.querySelector("input[name=decision]:checked");
  if (!choice) throw new Error("choose advance or reject");
  const reason = form.querySelector("#decision-reason").value.trim();
  const body = { requisition_id: requisitionId, candidate_id: candidateId, decision: choice.value };
  if (reason) body.reason = reason;
  if (state.requestId) body.shown_request_id = state.requestId;
  const { data } = await call("/feedback", { method: "POST", json: body });
  state.decisions.set(candidateId, data);
  const detail = state.details.get(candidateId);
  if (detail) {
    detail.decisions = [data, ...detail.decisions.filter((d) => d.requisition_id !== requisitionId)];
  }
  fill(
    $("latest-decision"),
    `Latest: ${data.decision} by ${data.reviewer ?? "unknown"} on ${when(data.decided_at)}` +
      (data.reason ? ` (“${data.reason}”)` : ""),
  );
  if (state.page) renderShortlist();
  say(`Decision recorded: ${data.decision} for ${candidateName(detail, candidateId)}.`);
}

function reviewForm(detail, requisitionId) {
  const id = detail.candidate_id;
  const existing = detail.review_requests.map(
    (r) => `${when(r.requested_at)} by ${r.recorded_by ?? "unknown"}${r.note ? `: ${r.note}` : ""}`,
  );
  const form = h(
    "form",
    {
      class: "review-form",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const button = event.target.querySelector("button[type=submit]");
        busy(button, () => recordReview(id, requisitionId, event.target));
      },
    },
    h("label", { for: "review-note" }, "What the candidate asked (optional)"),
    h("textarea", { id: "review-note", rows: 2, maxlength: 2000 }),
    h("button", { type: "submit", class: "secondary" }, "Record a request for human review"),
  );
  return section(
    "Human review",
    h("p", { class: "help" }, "When a candidate asks for a person to review a decision about them, record it here; it is listed for the recruiting team."),
    list(existing, "No request recorded."),
    form,
  );
}

async function recordReview(candidateId, requisitionId, form) {
  const note = form.querySelector("#review-note").value.trim();
  const body = { candidate_id: candidateId };
  if (requisitionId) body.requisition_id = requisitionId;
  if (note) body.note = note;
  await call("/review-requests", { method: "POST", json: body });
  const { data } = await call(`/candidates/${encodeURIComponent(candidateId)}`);
  state.details.set(candidateId, data);
  renderCandidate(data);
  await loadReviews();
  say(`Request for human review recorded for ${candidateName(data, candidateId)}.`);
}

// -- wiring -------------------------------------------------------------------------------------

function wire() {
  for (const radio of document.querySelectorAll("input[name=source]")) {
    radio.addEventListener("change", showSource);
  }
  $("requisition-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("show-shortlist"), async () => {
      state.requisition = await chooseRequisition();
      state.offsets = [];
      renderRequisition(state.requisition);
      await loadShortlist(0);
    });
  });
  $("filters-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("apply-filters"), async () => {
      state.offsets = [];
      await loadShortlist(0);
    });
  });
  $("sort-by").addEventListener("change", () => state.page && renderShortlist());
  // The pager's buttons are enabled by what the page answers (renderShortlist), not by busy().
  $("next-page").addEventListener("click", () =>
    busy(null, async () => {
      state.offsets.push(state.page.offset);
      await loadShortlist(state.page.next_offset);
      $("shortlist").focus();
    }),
  );
  $("previous-page").addEventListener("click", () =>
    busy(null, async () => {
      await loadShortlist(state.offsets.pop() ?? 0);
      $("shortlist").focus();
    }),
  );
  $("export-csv").addEventListener("click", () => busy(null, async () => exportCsv()));
  $("send-crm").addEventListener("click", () => busy($("send-crm"), sendToCrm));
  $("close-panel").addEventListener("click", () => $("candidate-panel").close());
  $("candidate-panel").addEventListener("close", () => {
    const id = state.openCandidate;
    state.openCandidate = null;
    const back = id && document.querySelector(`tr[data-candidate-id="${CSS.escape(id)}"] .candidate-link`);
    if (back) back.focus();
  });
  $("sign-out").addEventListener("click", () => {
    forgetKey();
    window.location.replace("login.html");
  });
}

if (!storedKey()) {
  window.location.replace("login.html");
} else {
  wire();
  showSource();
  busy(null, async () => {
    await loadModel();
    await loadRequisitions();
    await loadReviews();
  });
}
