/// `READY=1` is sent once, when the config is loaded, the control socket is bound and the first
/// sample has been taken — by whichever of the last two happens last.
public actor Readiness {
    private var socketBound = false
    private var sampled = false
    private var announced = false
    private let notifier: any Notifier

    public init(notifier: any Notifier) { self.notifier = notifier }

    public func markSocketBound() { socketBound = true; announceIfReady() }
    public func markSampled() { sampled = true; announceIfReady() }

    private func announceIfReady() {
        guard socketBound, sampled, !announced else { return }
        announced = true
        notifier.notify("READY=1")
    }
}
