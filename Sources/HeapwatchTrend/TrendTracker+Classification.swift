extension TrendTracker {
    /// The state of a full window that is not over the limit.
    static func classify(_ a: FloorAnalysis, forecast: Forecast, policy: TrendPolicy) -> TrendState {
        let slope = a.fit.slope
        let growthMax = policy.growthMax / 3600
        let significant = a.trend.z > 0 && a.trend.pUpward < policy.significance && slope > 0

        // Persistence: the recent part still climbs, and the floor itself has risen.
        let recentKeepsUp = a.recentSlope >= policy.recentSlopeRatio * slope
        let floorRose = a.floorRise >= policy.floorRiseRatio * slope * a.partDistance
        if significant, slope > growthMax, recentKeepsUp, floorRose,
           a.recentSlope >= policy.recentSlopeRatio * growthMax,
           a.floorRise >= policy.floorRiseRatio * growthMax * a.partDistance {
            return .leaking
        }
        let nearLimit = (forecast.eta ?? .infinity) < policy.captureBefore
        let worthNaming = slope >= policy.growingMinRatio * growthMax || nearLimit
        if significant, recentKeepsUp, floorRose, a.floorRise > 0, worthNaming {
            return .growing
        }
        if a.swing > max(policy.burstyMinBytes, policy.burstyFraction * a.medianFloor) {
            return .bursty
        }
        return .ok
    }
}
