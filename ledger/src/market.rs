//! Each market's rules in one place (DESIGN: the five markets of a trading centre): which award
//! rule it uses, whether the office seals a reserve price or publishes a ceiling price, whether bids
//! carry tonnes, and the fewest valid bids a lot needs. One exhaustive match: a new market does not compile until its
//! rules are written here, and the handlers, the opening and the award read them from here.

use crate::objections::ObjectionClock;
use crate::types::Market;

/// How a lot of the market is awarded ([`crate::award`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwardRule {
    /// 最低价: the lowest valid price wins, if the lot has at least `valid_bids_min` valid bids.
    LowestPrice,
    /// 价高者得: the highest valid price at or above the sealed reserve wins.
    HighestAtReserve,
    /// Multi-unit: the lot's tonnes fill bids from the highest price down, each paying its own.
    DescendingFill,
}

/// What a market's tenders follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketRules {
    /// The award rule.
    pub award: AwardRule,
    /// The office seals a reserve price (底价) for each lot, read at the opening.
    pub reserve_price: bool,
    /// Bids ask for a quantity in tonnes, and lots offer tonnes in lots of a minimum size.
    pub multi_unit: bool,
    /// The least `valid_bids_min` a tender may set; 0 where the market has no such minimum.
    /// Procurement and construction fail a lot with fewer than three valid bids (流标; 招标投标法
    /// Art. 28, 政府采购法 Art. 36), and an office may ask for more, not fewer.
    pub valid_bids_min_floor: u16,
    /// A lot may publish a ceiling price (最高投标限价, 实施条例 Art. 27): a bid above it is
    /// invalid at the opening (实施条例 Art. 51(5)).
    pub ceiling_price: bool,
    /// The law whose clock objections run on: 财政部94号令 for government procurement, 招标投标法
    /// and its 实施条例 for every other market the platform runs by sealed bids.
    pub objection_clock: ObjectionClock,
    /// The office publishes the ranked candidates before the award, and the award waits for
    /// the publicity ([`crate::publicity`]): construction (实施条例 Art. 54) and government
    /// procurement (财政部87号令 Art. 69). The auctions publish their result with the award.
    pub candidate_publicity: bool,
}

impl MarketRules {
    /// The rules of `market`.
    pub fn of(market: Market) -> Self {
        match market {
            Market::Procurement => Self {
                objection_clock: ObjectionClock::GovernmentProcurement,
                ..Self::of(Market::Construction)
            },
            Market::Construction => Self {
                award: AwardRule::LowestPrice,
                reserve_price: false,
                multi_unit: false,
                valid_bids_min_floor: 3,
                ceiling_price: true,
                objection_clock: ObjectionClock::Tendering,
                candidate_publicity: true,
            },
            Market::LandUseRight | Market::PropertyRights => Self {
                award: AwardRule::HighestAtReserve,
                reserve_price: true,
                multi_unit: false,
                valid_bids_min_floor: 0,
                ceiling_price: false,
                objection_clock: ObjectionClock::Tendering,
                candidate_publicity: false,
            },
            Market::CoalCoke => Self {
                award: AwardRule::DescendingFill,
                reserve_price: false,
                multi_unit: true,
                valid_bids_min_floor: 0,
                ceiling_price: false,
                objection_clock: ObjectionClock::Tendering,
                candidate_publicity: false,
            },
        }
    }
}
