// The portal's first-party script (CSP script-src 'self': no inline code anywhere). Every page works
// without it; with it: sign-in from the link's fragment, score checks as you type, drafts kept in this
// browser, no double submission, copy buttons.

const DRAFT_PREFIX = "portal-draft:";
const judge = document.body.dataset.judge || "";

function draftKey(key) {
  return `${DRAFT_PREFIX}${judge}:${key}`;
}

function readDraft(key) {
  try {
    const value = JSON.parse(localStorage.getItem(draftKey(key)) || "null");
    return value && value.v === 1 ? value : null;
  } catch {
    return null;
  }
}

function dropDraft(key) {
  try {
    localStorage.removeItem(draftKey(key));
  } catch {
    /* storage unavailable: nothing kept, nothing to drop */
  }
}

// --- sign-in: the code comes in the URL fragment, which browsers never send to a server ---------
function signIn() {
  const form = document.getElementById("signin-form");
  if (!form) return;
  const params = new URLSearchParams(location.hash.slice(1));
  const code = params.get("t");
  const admin = params.get("admin");
  if (!code && !admin) return;
  // Out of the address bar and the history at once.
  history.replaceState(null, "", location.pathname);
  if (document.getElementById("signin-error")) return;
  if (code) form.elements.namedItem("code").value = code;
  if (admin) form.elements.namedItem("admin_token").value = admin;
  const button = form.querySelector("button[type=submit]");
  if (button && button.dataset.working) button.textContent = button.dataset.working;
  form.submit();
}

// --- score checks: the same rules as the service, which checks them again ------------------------
function problemOf(input) {
  const text = input.value.trim();
  if (input.validity.badInput) return input.dataset.msgNumber;
  if (text === "") return input.dataset.msgMissing;
  const value = Number(text.replace(",", "."));
  if (!Number.isFinite(value)) return input.dataset.msgNumber;
  const min = Number(input.min), max = Number(input.max), step = Number(input.step);
  if (value < min || value > max) return input.dataset.msgRange;
  const offset = value - min;
  if (step > 0 && Math.abs(offset - Math.round(offset / step) * step) > 1e-9 * Math.max(1, Math.abs(offset))) {
    return input.dataset.msgStep;
  }
  return "";
}

function showProblem(input, problem) {
  const box = document.getElementById(`error-${input.id.replace(/^score-/, "")}`);
  if (box) box.textContent = problem;
  input.closest(".field")?.classList.toggle("invalid", Boolean(problem));
  if (problem) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function scorePage() {
  const form = document.getElementById("score-form");
  if (!form) return;
  const key = form.dataset.draftKey;
  const version = Number(form.dataset.version || "0");
  const inputs = [...form.querySelectorAll("input[type=number]")];
  const comment = form.elements.namedItem("comment");
  const status = document.getElementById("draft-status");
  const discard = document.getElementById("discard-draft");

  const draft = readDraft(key);
  if (draft && draft.base < version) dropDraft(key); // submitted since: the draft is history
  else if (draft && form.dataset.fresh === "yes") {
    for (const input of inputs) {
      const name = input.name.slice("score.".length);
      if (name in draft.values) input.value = draft.values[name];
    }
    if (typeof draft.comment === "string") comment.value = draft.comment;
    status.textContent = form.dataset.restoredText;
    discard.hidden = false;
  }

  let timer = 0;
  function save() {
    const values = {};
    for (const input of inputs) values[input.name.slice("score.".length)] = input.value;
    const saved = new Date();
    try {
      localStorage.setItem(
        draftKey(key),
        JSON.stringify({ v: 1, base: version, values, comment: comment.value, saved: saved.toISOString() }),
      );
    } catch {
      return; // private mode or full storage: the form still works, only the draft is not kept
    }
    const hhmm = saved.toTimeString().slice(0, 5);
    status.textContent = form.dataset.savedText.replace("{when}", hhmm);
    discard.hidden = false;
  }
  form.addEventListener("input", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.type === "number") {
      showProblem(event.target, problemOf(event.target));
    }
    clearTimeout(timer);
    timer = setTimeout(save, 250);
  });
  for (const input of inputs) input.addEventListener("blur", () => showProblem(input, problemOf(input)));
  if (form.dataset.fresh === "no") save(); // what the server sent back is the latest state
  discard.addEventListener("click", () => {
    dropDraft(key);
    location.reload();
  });
  form.addEventListener("submit", (event) => {
    clearTimeout(timer);
    save();
    let first = null;
    for (const input of inputs) {
      const problem = problemOf(input);
      showProblem(input, problem);
      if (problem && !first) first = input;
    }
    if (first) {
      event.preventDefault();
      first.focus();
    }
  });
}

// --- assignments: mark drafts kept in this browser, forget those submitted since ----------------
function assignmentsPage() {
  for (const card of document.querySelectorAll("[data-draft-key]")) {
    if (card.id === "score-form") continue;
    const draft = readDraft(card.dataset.draftKey);
    if (!draft) continue;
    if (draft.base < Number(card.dataset.version || "0")) {
      dropDraft(card.dataset.draftKey);
      continue;
    }
    const badge = card.querySelector("[data-status=draft]");
    if (badge) badge.hidden = false;
  }
}

// --- one submission per click, however often it is clicked --------------------------------------
function submitOnce() {
  for (const button of document.querySelectorAll("button[data-once]")) {
    const form = button.form;
    let sent = false;
    form.addEventListener("submit", (event) => {
      if (event.submitter !== button) return;
      if (sent) {
        event.preventDefault();
        return;
      }
      sent = true;
      button.setAttribute("aria-disabled", "true");
      button.classList.add("sending");
    });
  }
}

// --- sign-out: unsubmitted scores do not stay behind on a shared device -------------------------
function signOut() {
  const form = document.getElementById("signout");
  if (!form || !judge) return;
  form.addEventListener("submit", () => {
    try {
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const name = localStorage.key(i);
        if (name && name.startsWith(`${DRAFT_PREFIX}${judge}:`)) localStorage.removeItem(name);
      }
    } catch {
      /* nothing stored */
    }
  });
}

function copyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
      } catch {
        document.execCommand("copy");
      }
      button.textContent = button.dataset.done;
    });
  }
}

signIn();
scorePage();
assignmentsPage();
submitOnce();
signOut();
copyButtons();
