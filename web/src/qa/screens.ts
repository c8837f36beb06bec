// The QA screens, one chunk loaded the first time any of them is opened (app.tsx): the screens share most of their
// code (strings, API, score form), so one request beats six small ones.
export { Appeals } from "./Appeals";
export { CoverageView } from "./CoverageView";
export { MyReviews } from "./MyReviews";
export { ReviewQueue } from "./ReviewQueue";
export { ReviewView } from "./ReviewView";
export { ScorecardView } from "./ScorecardView";
