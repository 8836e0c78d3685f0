import CurlClient
import Foundation
import Logging

extension RemoteJudge {
    /// What one attempt produced, before deciding on a retry.
    private enum Attempt {
        case done([RewardOutcome])
        case retry(reason: String, kind: RewardFailure.Kind, wait: Double?)
        case fail(RewardFailure)
    }

    /// Sends one batch, retrying as the policy allows; returns one outcome per item. Failure reasons may quote the
    /// judge's reply, so credential values are masked out of them (a judge might echo its request headers).
    func call(_ items: [RewardItem], batchDeadline: Double) async -> [RewardOutcome] {
        let secrets = secretValues()
        return await callRetrying(items, batchDeadline: batchDeadline, secrets: secrets).map { outcome in
            guard case .failure(var f) = outcome else { return outcome }
            f.reason = Self.mask(f.reason, secrets)
            return .failure(f)
        }
    }

    /// The current values of headers read from the environment, and their long words (the token of "Bearer x").
    private func secretValues() -> [String] {
        var out: [String] = []
        for h in headers {
            guard case .environment = h.value, let v = h.resolve(environment), !v.isEmpty else { continue }
            out.append(v)
            out += v.split(separator: " ").map(String.init).filter { $0.count >= 8 }
        }
        return out.sorted { $0.count > $1.count }
    }

    static func mask(_ text: String, _ secrets: [String]) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    private func callRetrying(_ items: [RewardItem], batchDeadline: Double, secrets: [String]) async -> [RewardOutcome] {
        var retries = 0
        while true {
            let attempt = await attemptOnce(items, batchDeadline: batchDeadline)
            switch attempt {
            case .done(let outcomes):
                return outcomes
            case .fail(let failure):
                return items.map { _ in .failure(failure) }
            case .retry(let reason, let kind, let retryAfter):
                guard retries < options.retry.maxRetries else {
                    logger.warning("judge call failed, retries exhausted",
                                   metadata: ["reason": "\(Self.mask(reason, secrets))", "retries": "\(retries)"])
                    return items.map { _ in .failure(RewardFailure(kind, "\(reason) (after \(retries) retries)")) }
                }
                let wait = retryAfter ?? withRNG { options.retry.backoff(retry: retries, using: &$0) }
                if clock.now() + wait >= batchDeadline {
                    return items.map { _ in
                        .failure(RewardFailure(.deadline, "\(reason); the next retry (in \(String(format: "%.2f", wait)) s) would pass the batch deadline"))
                    }
                }
                logger.debug("retrying judge call", metadata: ["reason": "\(Self.mask(reason, secrets))", "wait_s": "\(wait)"])
                do { try await clock.sleep(seconds: wait) } catch {
                    return items.map { _ in .failure(RewardFailure(.cancelled, "cancelled while waiting to retry")) }
                }
                retries += 1
                recordRetry()
            }
        }
    }

    private func attemptOnce(_ items: [RewardItem], batchDeadline: Double) async -> Attempt {
        let now = clock.now()
        guard now < batchDeadline else { return .fail(RewardFailure(.deadline, "batch deadline passed before the call")) }
        guard allowByBreaker(now: now) else {
            return .fail(RewardFailure(.circuitOpen, "circuit open after repeated failures; not calling the judge"))
        }
        let wait = reserveRate(now: now)
        if wait > 0 {
            if now + wait >= batchDeadline {
                releaseProbe()
                return .fail(RewardFailure(.deadline, "requests-per-minute cap would delay the call past the batch deadline"))
            }
            do { try await clock.sleep(seconds: wait) } catch {
                releaseProbe()
                return .fail(RewardFailure(.cancelled, "cancelled while rate limited"))
            }
        }
        var request = HTTPClientRequest(method: "POST", url: url, headers: [HTTPHeader("Content-Type", "application/json")],
                                        body: wire.body(for: items))
        for h in headers {
            guard let value = h.resolve(environment) else {
                releaseProbe()
                return .fail(RewardFailure(.missingInput, "header \(h.name): its environment variable is no longer set"))
            }
            request.headers.append(HTTPHeader(h.name, value))
        }
        // The transport queues calls beyond the concurrency cap; the call limit runs from when the transfer starts,
        // the batch deadline covers the queueing too.
        request.timeout = .milliseconds(max(1, Int64(options.callTimeout * 1000)))
        request.deadline = ContinuousClock.now.advanced(by: .milliseconds(max(1, Int64((batchDeadline - clock.now()) * 1000))))
        recordCall()
        let response: HTTPClientResponse
        do {
            response = try await transport.send(request)
        } catch let error as CurlClientError {
            recordBreaker(success: error.isRetryable ? false : nil)
            if error.isRetryable {
                return .retry(reason: error.description, kind: .transport, wait: nil)
            }
            return .fail(RewardFailure(.transport, error.description))
        } catch {
            recordBreaker(success: nil)
            return .fail(RewardFailure(.cancelled, "call cancelled"))
        }
        let status = response.status
        let snippet = String(decoding: response.body.prefix(120), as: UTF8.self)
        if (200...299).contains(status) {
            recordBreaker(success: true)
            return .done(wire.parse(response.body, items: items))
        }
        if status == 429 {
            // The judge is alive and pacing us: not a breaker failure.
            recordBreaker(success: true)
            return .retry(reason: "HTTP 429 from judge", kind: .httpStatus,
                          wait: RetryPolicy.retryAfterSeconds(response.header("Retry-After")))
        }
        if (500...599).contains(status) {
            recordBreaker(success: false)
            return .retry(reason: "HTTP \(status) from judge: \(snippet)", kind: .httpStatus, wait: nil)
        }
        recordBreaker(success: true)
        return .fail(RewardFailure(.httpStatus, "HTTP \(status) from judge (not retried): \(snippet)"))
    }
}
