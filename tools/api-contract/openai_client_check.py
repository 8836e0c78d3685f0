"""The OpenAI-compatible routes used through the real `openai` Python client, unchanged: chat and text
completions with n, seed, stop, max_tokens and logprobs, plus the error path (the client raises its typed
errors for our 400 and 401 bodies). Usage: openai_client_check.py BASE_URL API_KEY. Exits non-zero on failure."""
import sys

import openai

base, key = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0, timeout=120)

chat = client.chat.completions.create(
    model="grao", messages=[{"role": "user", "content": "What is 2 + 2? Answer with one number."}],
    n=2, max_tokens=8, temperature=0.7, seed=3, logprobs=True, stop=["\n\n"])
assert chat.object == "chat.completion", chat
assert len(chat.choices) == 2, chat
for choice in chat.choices:
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str)
    assert choice.finish_reason in ("stop", "length")
    assert choice.logprobs is not None and len(choice.logprobs.content) >= 1
    assert all(item.logprob <= 0 for item in choice.logprobs.content)
assert chat.usage.total_tokens == chat.usage.prompt_tokens + chat.usage.completion_tokens

again = client.chat.completions.create(
    model="grao", messages=[{"role": "user", "content": "What is 2 + 2? Answer with one number."}],
    n=2, max_tokens=8, temperature=0.7, seed=3, logprobs=True, stop=["\n\n"])
assert [c.message.content for c in again.choices] == [c.message.content for c in chat.choices], "same seed, same samples"

completion = client.completions.create(model="grao", prompt=["The capital of France is", "1, 2, 3,"],
                                       n=2, max_tokens=6, temperature=0, logprobs=0)
assert completion.object == "text_completion"
assert [c.index for c in completion.choices] == [0, 1, 2, 3]
assert completion.choices[0].text == completion.choices[1].text, "greedy samples of one prompt agree"
assert len(completion.choices[0].logprobs.token_logprobs) >= 1

try:
    client.chat.completions.create(model="grao", messages=[{"role": "user", "content": "x"}], temperature=-1)
    raise AssertionError("a negative temperature must be refused")
except openai.BadRequestError as error:
    assert "temperature" in error.body["message"], error.body

try:
    openai.OpenAI(base_url=base + "/v1", api_key="wrong-key-0123456789", max_retries=0).chat.completions.create(
        model="grao", messages=[{"role": "user", "content": "x"}])
    raise AssertionError("a wrong key must be refused")
except openai.AuthenticationError:
    pass

print("openai client check: ok (openai %s; chat n=2 with logprobs, seeded repeat, completions x2 prompts, 400, 401)"
      % openai.__version__)
