/// Commands report times as plain seconds in their JSON lines and progress output; these are the one conversion
/// they all share.
extension Duration {
    /// This duration in seconds.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

extension ContinuousClock.Instant {
    /// Seconds from this instant until now.
    var elapsedSeconds: Double { (ContinuousClock.now - self).inSeconds }
}
