import Rewards

extension RewardRegistry {
    /// Every remote judge URL in a spec (a `score_model`, possibly nested in `multi` graders), with its JSON path.
    static func judgeURLs(in spec: JSONValue, path: String) -> [(path: String, url: String)] {
        guard case .object(let o) = spec else { return [] }
        var found: [(String, String)] = []
        if case .string("score_model")? = o["type"], case .string(let url)? = o["url"] {
            found.append((path + ".url", url))
        }
        if case .object(let graders)? = o["graders"] {
            for key in graders.keys.sorted() {
                found += judgeURLs(in: graders[key]!, path: path + ".graders.\(key)")
            }
        }
        return found
    }

    /// Refuses a judge URL carrying credentials (they would be stored and echoed in plain text) or, with an
    /// allow-list configured, pointing at a host outside it.
    func checkJudgeURL(_ url: String, path: String) throws {
        guard let authority = Self.authority(of: url) else { return }  // the Rewards parser reports malformed URLs
        if authority.contains("@") {
            throw StoreError.invalid(path, "credentials in the URL are refused; send them in a header as env:NAME")
        }
        guard let allowed = allowedJudgeHosts else { return }
        let host = Self.host(ofAuthority: authority)
        guard allowed.contains(host) else {
            throw StoreError.forbidden("judge_host_not_allowed",
                                       "field '\(StoreError.fieldName(path))': host '\(host)' is not in the server's judge allow-list")
        }
    }

    /// The part between `scheme://` and the next `/`, `?` or `#`.
    static func authority(of url: String) -> Substring? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        return rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    }

    /// The host of an authority without port, brackets around IPv6 literals removed, lower-cased.
    static func host(ofAuthority authority: Substring) -> String {
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            return String(hostPort[hostPort.index(after: hostPort.startIndex)..<close]).lowercased()
        }
        return String(hostPort.prefix { $0 != ":" }).lowercased()
    }
}
