"""The OpenAI-compatible routes used through the real `openai` Python client, unchanged: chat and text
completions with n, seed, stop, max_tokens and logprobs, streamed (stream=True: the joined pieces equal the
non-streamed greedy text, also with a stop string), plus the error path (the client raises its typed
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

# Streaming (stream=True): the client reads the Server-Sent Events; the joined pieces are the non-streamed text.
question = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
plain = client.chat.completions.create(model="grao", messages=question, max_tokens=8, temperature=0)
greedy = plain.choices[0].message.content


def joined_chat(**options):
    """Streams a greedy chat answer; returns text per choice index, finish reasons, chunk count and the usage."""
    texts, finishes, usage, count = {}, {}, None, 0
    for chunk in client.chat.completions.create(model="grao", messages=question, max_tokens=8, temperature=0,
                                                stream=True, **options):
        assert chunk.object == "chat.completion.chunk", chunk
        count += 1
        usage = chunk.usage or usage
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
            if choice.finish_reason is not None:
                finishes[choice.index] = choice.finish_reason
    return texts, finishes, count, usage


texts, finishes, count, usage = joined_chat(n=2, stream_options={"include_usage": True})
assert texts == {0: greedy, 1: greedy}, (texts, greedy)
assert finishes == {0: plain.choices[0].finish_reason, 1: plain.choices[0].finish_reason}, finishes
assert count > 3, "one chunk per token, not one per answer"
assert usage.completion_tokens == 2 * plain.usage.completion_tokens and usage.prompt_tokens == plain.usage.prompt_tokens, usage
# A stop string from the middle of the greedy answer: the stream holds back what could start it and stops there.
stop = greedy[len(greedy) // 2:len(greedy) // 2 + 3]
cut = client.chat.completions.create(model="grao", messages=question, max_tokens=8, temperature=0, stop=[stop])
texts, finishes, _, _ = joined_chat(stop=[stop])
assert texts == {0: cut.choices[0].message.content} and finishes == {0: "stop"}, (texts, cut.choices[0], stop)

prompts = ["The capital of France is", "1, 2, 3,"]
plain = client.completions.create(model="grao", prompt=prompts, max_tokens=6, temperature=0)
texts, finishes = {}, {}
for chunk in client.completions.create(model="grao", prompt=prompts, max_tokens=6, temperature=0, stream=True):
    assert chunk.object == "text_completion", chunk
    for choice in chunk.choices:
        texts[choice.index] = texts.get(choice.index, "") + choice.text
        if choice.finish_reason is not None:
            finishes[choice.index] = choice.finish_reason
assert texts == {c.index: c.text for c in plain.choices}, (texts, plain.choices)
assert finishes == {c.index: c.finish_reason for c in plain.choices}, finishes

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

print("openai client check: ok (openai %s; chat n=2 with logprobs, seeded repeat, completions x2 prompts, streamed chat "
      "n=2 with usage and with a stop string, streamed completions x2 prompts, 400, 401)"
      % openai.__version__)
