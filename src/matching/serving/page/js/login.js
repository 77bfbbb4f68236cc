// The sign-in page: check the key against the service, keep it for this tab, go to the page.
import { ApiError, call, keepKey, storedKey } from "./api.js";

const form = document.getElementById("login-form");
const input = document.getElementById("api-key");
const error = document.getElementById("login-error");

if (storedKey()) window.location.replace("./");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const key = input.value.trim();
  if (!key) {
    showError("Enter your API key.");
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await call("/model", { key });
    keepKey(key);
    window.location.replace("./");
  } catch (problem) {
    if (problem instanceof ApiError && problem.status === 401) {
      showError("That key was refused (E601). Check it, or ask for a new one.");
    } else {
      showError(`The service could not be reached or failed: ${problem.message}`);
    }
    input.focus();
    input.select();
  } finally {
    button.disabled = false;
  }
});

function showError(text) {
  error.textContent = text;
  error.hidden = false;
}

input.focus();
